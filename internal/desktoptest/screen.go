//go:build linux

package desktoptest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/openbpclient/bpclient/internal/testpeers"
)

// StartScreen runs Xvfb alone at width×height, 24-bit colour, for the
// screen-capture tests (no bus, no notification server, so it needs
// nothing but Xvfb). Xvfb has MIT-SHM, RandR 1.5 and XFixes.
func StartScreen(t testing.TB, width, height int) *Desktop {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		testpeers.Missing(t, "Xvfb is not installed (scripts/deps.sh installs xvfb)")
		return nil
	}
	dir, err := os.MkdirTemp("", "screen")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &Desktop{t: t, dir: dir}
	size := fmt.Sprintf("%dx%dx24", width, height)
	d.Display = ":" + d.startWithFD("xvfb", []string{"Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-noreset", "-screen", "0", size}, nil)
	return d
}
