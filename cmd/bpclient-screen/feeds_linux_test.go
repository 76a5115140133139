package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/screen"
)

// The worker's capture says at debug which backend it grabs with (here
// the X server over shared memory: Xvfb on this machine), so that
// BPClient.log shows whether a Windows agent runs DXGI or fell back to
// GDI, and why.
func TestScreenCaptureLogsItsBackend(t *testing.T) {
	d := desktoptest.StartScreen(t, 320, 240)
	if d == nil {
		return
	}
	t.Setenv("DISPLAY", d.Display)
	var out bytes.Buffer
	g, err := openWatchedCapture(zerolog.New(&out).Level(zerolog.DebugLevel), "all")
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var f screen.Frame
	if err := g.Grab(&f); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"level":"debug"`) || !strings.Contains(lines[0], `"backend":"x11-shm"`) ||
		!strings.Contains(lines[0], `"screens":"all"`) || !strings.Contains(lines[0], "screen capture opened") {
		t.Fatalf("log %q, want one debug line naming backend x11-shm", out.String())
	}
}
