//go:build linux

package desktoptest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/internal/testpeers"
)

// childEnv names the test a child process of runChild runs.
const childEnv = "BPCLIENT_DESKTOPTEST_CHILD"

// QuietWhenTheDisplayGoes checks that the X code writes nothing to
// stderr (fd 2: what a library writes there, which no Go writer of the
// test can catch) when its display goes away: it runs the calling test
// again in a child process of the test binary, with no ~/.Xauthority,
// where gone starts an Xvfb (StartScreen), uses it, kills it (KillX)
// and returns the failure that followed. It fails t when the child
// wrote to stderr, failed, or saw no failure.
func QuietWhenTheDisplayGoes(t *testing.T, what string, gone func(t *testing.T) error) {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		fmt.Println("after the display went:", gone(t))
		return
	}
	if _, err := exec.LookPath("Xvfb"); err != nil {
		testpeers.Missing(t, "Xvfb is not installed (scripts/deps.sh installs xvfb)")
		return
	}
	home := t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name(), "HOME="+home, "XAUTHORITY="+filepath.Join(home, "none"))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the child test: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if out := stdout.String(); !strings.Contains(out, "after the display went: ") || strings.Contains(out, "went: <nil>") {
		t.Fatalf("%s did not see its display go: %s", what, out)
	}
	if stderr.Len() != 0 {
		t.Errorf("%s wrote to stderr, want nothing:\n%s", what, stderr.String())
	}
}
