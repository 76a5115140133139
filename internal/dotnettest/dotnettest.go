// Package dotnettest builds the desktop API's .NET client (dotnet/) and
// its C# test programs with Debian's mono compiler, and runs a program
// under mono as a test's peer: the tests of dotnet/ against the real
// agent and internal/e2e's against the real page share it.
package dotnettest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/testpeers"
)

// Need ends the test (a skip that says why, or a failure where the real
// peers are required) when mcs or mono is missing.
func Need(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"mcs", "mono"} {
		if _, err := exec.LookPath(tool); err != nil {
			testpeers.Missing(t, tool+" is not installed (scripts/deps.sh installs mono-mcs)")
			return
		}
	}
}

// Build is the client library compiled into a test's folder.
type Build struct {
	Dir     string // holds the library and the programs built with it
	Library string // BPClient.Desktop.dll (its XML docs beside it)
	source  string // the module's dotnet/ folder
}

// BuildLibrary compiles BPClient.Desktop.dll and its XML documentation
// into dir; a warning fails the test, as it would fail the release.
func BuildLibrary(t testing.TB, ctx context.Context, dir string) *Build {
	t.Helper()
	root, err := browsertest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b := &Build{Dir: dir, Library: filepath.Join(dir, "BPClient.Desktop.dll"), source: filepath.Join(root, "dotnet")}
	sources, err := filepath.Glob(filepath.Join(b.source, "BPClient.Desktop", "*.cs"))
	if err != nil || len(sources) == 0 {
		t.Fatalf("no sources of BPClient.Desktop in %s (%v)", b.source, err)
	}
	mcs(t, ctx, append([]string{"-target:library", "-out:" + b.Library, "-doc:" + filepath.Join(dir, "BPClient.Desktop.xml")}, sources...)...)
	return b
}

// Program compiles the C# sources (paths inside dotnet/) into dir/name,
// referencing the library, and returns the exe's path.
func (b *Build) Program(t testing.TB, ctx context.Context, name string, sources ...string) string {
	t.Helper()
	exe := filepath.Join(b.Dir, name)
	args := []string{"-out:" + exe, "-r:" + b.Library}
	for _, s := range sources {
		args = append(args, filepath.Join(b.source, filepath.FromSlash(s)))
	}
	mcs(t, ctx, args...)
	return exe
}

func mcs(t testing.TB, ctx context.Context, args ...string) {
	t.Helper()
	out, err := exec.CommandContext(ctx, "mcs", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("mcs %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if strings.Contains(string(out), "warning") {
		t.Errorf("mcs %s warns:\n%s", strings.Join(args, " "), out)
	}
}

// Run runs exe under mono with args in env (nil: this process's) and
// hands each line it prints to onLine, which the test uses to act when
// the program asks (the programs print what they wait for). It fails
// the test unless the program printed PASS and exited 0; it returns
// what the program printed.
func Run(t testing.TB, ctx context.Context, env []string, onLine func(line string), exe string, args ...string) []string {
	t.Helper()
	cmd := exec.CommandContext(ctx, "mono", append([]string{exe}, args...)...)
	cmd.Dir = filepath.Dir(exe)
	cmd.Env = env
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("mono %s: %v", exe, err)
	}
	var lines []string
	passed := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		passed = passed || line == "PASS"
		onLine(line)
	}
	err = cmd.Wait()
	if err != nil || !passed {
		t.Fatalf("the C# program %s: %v; it printed:\n%s", filepath.Base(exe), errOrNoPass(err), strings.Join(lines, "\n"))
	}
	return lines
}

func errOrNoPass(err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("exited without PASS")
}
