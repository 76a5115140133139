package idle_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/desktop/idle"
	"github.com/openbpclient/bpclient/internal/desktoptest"
)

// TestX11QuietWhenTheDisplayGoes: the X library's lines (no
// ~/.Xauthority at connect, the connection lost when the display goes
// away) never reach stderr (issue 11). Run in a child process: xgb
// writes to fd 2 itself.
func TestX11QuietWhenTheDisplayGoes(t *testing.T) {
	desktoptest.QuietWhenTheDisplayGoes(t, "the idle source", readUntilGone)
}

// readUntilGone reads the idle time of a private Xvfb, kills it and
// reads until a read fails; it returns that failure.
func readUntilGone(t *testing.T) error {
	d := desktoptest.StartScreen(t, 320, 240)
	if d == nil {
		return nil
	}
	noBus := "unix:path=" + filepath.Join(t.TempDir(), "no-bus")
	src, err := idle.Open(idle.Options{Display: d.Display, Source: idle.SourceX11, BusAddress: noBus, SystemBusAddress: noBus})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.KillX()
	for range 100 {
		if _, err := src.Read(context.Background()); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("reads still succeed 2 s after the X server was killed")
	return nil
}
