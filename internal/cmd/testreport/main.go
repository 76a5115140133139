// Command testreport reads `go test -json` on stdin and prints what a person
// needs: one line per package, the output of every failed test, the reason
// for every skipped one, and a closing "N passed, N failed, N skipped"
// line. It exits 1 if anything failed, including a package that did not
// build.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action     string
	Package    string
	ImportPath string // build-output events name the package here
	Test       string
	Output     string
	Elapsed    float64
}

func main() {
	os.Exit(run())
}

func run() int {
	outputs := map[string]*strings.Builder{} // package/test → output
	var failedTests, skipped []string
	passed, failed := 0, 0
	pkgFailures := 0 // packages that failed with no failing test: build errors, panics, timeouts
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Build errors arrive as plain text.
			fmt.Println(sc.Text())
			continue
		}
		key := e.Package + "/" + e.Test
		switch e.Action {
		case "build-output":
			// Since Go 1.24 compiler errors arrive as events, not text.
			fmt.Printf("build %s: %s", e.ImportPath, e.Output)
		case "output":
			b := outputs[key]
			if b == nil {
				b = &strings.Builder{}
				outputs[key] = b
			}
			b.WriteString(e.Output)
		case "pass":
			if e.Test != "" {
				passed++
			} else {
				fmt.Printf("ok   %s %.1fs\n", e.Package, e.Elapsed)
			}
		case "fail":
			if e.Test != "" {
				failed++
				failedTests = append(failedTests, key)
			} else {
				fmt.Printf("FAIL %s %.1fs\n", e.Package, e.Elapsed)
				if !hasFailedTest(failedTests, e.Package) {
					pkgFailures++
					if b := outputs[key]; b != nil {
						fmt.Print(indent(b.String()))
					}
				}
			}
		case "skip":
			if e.Test != "" {
				skipped = append(skipped, key)
			}
		}
	}
	for _, k := range failedTests {
		fmt.Printf("\n--- FAIL %s\n%s", k, indent(outputs[k].String()))
	}
	sort.Strings(skipped)
	for _, k := range skipped {
		fmt.Printf("SKIP %s: %s\n", k, skipReason(outputs[k]))
	}
	fmt.Printf("%d passed, %d failed, %d skipped\n", passed, failed+pkgFailures, len(skipped))
	if failed+pkgFailures > 0 {
		return 1
	}
	return 0
}

func hasFailedTest(keys []string, pkg string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, pkg+"/") {
			return true
		}
	}
	return false
}

// skipReason is what the test said when it skipped.
func skipReason(b *strings.Builder) string {
	if b == nil {
		return "(no reason given)"
	}
	var lines []string
	for _, l := range strings.Split(b.String(), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return "(no reason given)"
	}
	return strings.Join(lines, " / ")
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString("    " + l)
		}
	}
	return b.String()
}
