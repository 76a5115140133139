package e2e

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestInitialisersStayLazy runs the built bpclient with
// GODEBUG=inittrace=1 and holds our packages' initialisers to a few
// hundred bytes: whatever one builds at start (a regexp, a map literal,
// a table) every process that links the package builds, and its code and
// data are faulted in, the kernel mapping 64 KB around each fault
// (BENCHMARKS.md, the idle agent's memory). Build such things at their
// first use (sync.Once), or write them as arrays of constants and
// switches, which are data and code in the executable.
func TestInitialisersStayLazy(t *testing.T) {
	b := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.CLI, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bpclient version: %v\n%s", err, stderr.String())
	}
	const (
		perPackage = 1 << 10 // bytes one of our initialisers may allocate
		allOurs    = 2 << 10
	)
	inits, ours, total := 0, 0, 0
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init github.com/x/y @1.2 ms, 0.01 ms clock, 4712 bytes, 49 allocs
		f := strings.Fields(sc.Text())
		if len(f) != 11 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		inits++
		n, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("inittrace line %q: %v", sc.Text(), err)
		}
		if !strings.HasPrefix(f[1], "github.com/openbpclient/") {
			continue
		}
		ours++
		total += n
		if n > perPackage {
			t.Errorf("%s's initialiser allocates %d bytes in %s allocs (at most %d): build it at first use", f[1], n, f[9], perPackage)
		}
	}
	if inits < 20 {
		t.Fatalf("only %d initialisers traced: is GODEBUG=inittrace=1 still the runtime's?\n%s", inits, stderr.String())
	}
	if total > allOurs {
		t.Errorf("our %d initialisers allocate %d bytes together (at most %d)", ours, total, allOurs)
	}
	t.Logf("%d initialisers, %d of ours allocating %d bytes", inits, ours, total)
}
