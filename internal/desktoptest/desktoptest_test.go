//go:build linux

package desktoptest

import (
	"testing"

	"github.com/openbpclient/bpclient/internal/testpeers"
)

// TestMissingTools: without Xvfb (or dunst, …) the desktop tests skip
// on a developer's machine and fail in CI, naming what to install.
func TestMissingTools(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	testpeers.ExpectMissing(t, func(tb testing.TB) { Start(tb) }, "scripts/deps.sh installs")
	testpeers.ExpectMissing(t, func(tb testing.TB) { StartBus(tb) }, "dbus-daemon is not installed")
}
