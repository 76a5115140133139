//go:build linux && cgo && vpx

package e2e

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/monitorapi"
)

// openCaptures are helper.status's screenCapture: the agent's capture by
// what it grabbed, and its totals.
type openCaptures map[string]struct {
	Opens, Grabs int64
	Consumers    int
	FPS          int
	Cropped      int
}

func (w *monitorWorld) openCaptures(t *testing.T) (c openCaptures, open string, grabs int64) {
	t.Helper()
	var st struct {
		ScreenCapture openCaptures `json:"screenCapture"`
	}
	if jerr := w.agentPage.Call("helper.status", nil, &st); jerr != nil {
		t.Fatal(jerr)
	}
	for k, s := range st.ScreenCapture {
		grabs += s.Grabs
		if s.Consumers > 0 {
			if open != "" {
				t.Errorf("captures %+v: two open, %q and %q; recording and monitoring should share one", st.ScreenCapture, open, k)
			}
			open = k
		}
	}
	return st.ScreenCapture, open, grabs
}

// TestScreenRecordingOfThePrimaryAndMonitoringShareOneCapture: on two
// monitors side by side (the primary on the right), the real agent
// records the primary screen alone (2 fps) while a second agent watches
// all of them (4 fps): helper.status shows one open capture, of all the
// screens, with both as consumers and the recording cropped out of it,
// grabbing 4 times a second (two captures would make 6); the segments
// are the primary's 960×1080 and its colours, the viewer's frames the
// whole desktop. Before the monitoring and after it the capture is of
// the primary alone.
func TestScreenRecordingOfThePrimaryAndMonitoringShareOneCapture(t *testing.T) {
	uploads := startSegmentServer(t, t.TempDir())
	w := newMonitorWorldWith(t, monitorWorldOptions{agentEnv: []string{"SSL_CERT_FILE=" + uploads.cert}, agentDomains: []string{"127.0.0.1"}})
	if w == nil {
		return
	}
	w.painter.SetMonitor("LEFT", false, 0, 0, 960, 1080)
	w.painter.SetMonitor("RIGHT", true, 960, 0, 960, 1080)
	quadrants(w.painter, patternA)
	// The primary's half of pattern A: its right column, twice.
	primaryA := [4]uint32{patternA[1], patternA[1], patternA[3], patternA[3]}
	if jerr := w.agentPage.Call("screen.record.start", map[string]any{"recordingId": "primary", "uploadUrl": uploads.url + "/segments",
		"fps": 2, "segmentSeconds": 4, "screens": "primary", "headers": map[string]string{"Authorization": "Bearer e2e-token"}}, nil); jerr != nil {
		t.Fatalf("record.start: %v", jerr)
	}
	time.Sleep(time.Second)
	if c, open, _ := w.openCaptures(t); open != "primary" || c["all"].Opens != 0 {
		t.Errorf("recording the primary alone: captures %+v, want one of the primary open and none of all", c)
	}

	agentCursor, superCursor := 0, 0
	w.connect(t, "m1", "v1", 4)
	w.agentPage.Await(&agentCursor, "monitor live", stateIs(monitorapi.EventMonitorState, "live"))
	first := w.nextFrame(t, &superCursor, "v1", func(image.Image) bool { return true })
	if b := first.img.Bounds(); b.Dx() != 1920 || !quadrantsOf(first.img, patternA) {
		t.Fatalf("the viewer's first frame (%dx%d) is not the whole desktop's pattern A: %s", b.Dx(), b.Dy(), quadrantsWrong(first.img))
	}
	_, _, g0 := w.openCaptures(t)
	time.Sleep(2 * time.Second)
	c, open, g1 := w.openCaptures(t)
	rate := float64(g1-g0) / 2
	t.Logf("one capture: %+v; %.1f grabs/s while recording the primary at 2 fps and monitoring all at 4", c, rate)
	if a := c["all"]; open != "all" || a.Opens != 1 || a.Consumers != 2 || a.Cropped != 1 || a.FPS != 4 {
		t.Errorf("captures %+v: want the one open of all, opened once, with the recording (cropped to the primary) and the monitoring, at 4 fps", c)
	}
	if rate < 3 || rate > 5 {
		t.Errorf("%.1f grabs a second, want 4 (one capture for both: two would make 6)", rate)
	}

	if jerr := w.agentPage.Call("screen.monitor.stop", map[string]any{"monitorId": "m1"}, nil); jerr != nil {
		t.Fatalf("monitor.stop: %v", jerr)
	}
	waitUntil(t, 10*time.Second, "the capture of the primary alone again", func() bool {
		_, open, _ := w.openCaptures(t)
		return open == "primary"
	})
	if c, _, _ := w.openCaptures(t); c["primary"].Opens != 2 || c["all"].Opens != 1 {
		t.Errorf("the monitoring stopped: captures %+v, want the primary opened again, all once", c)
	}
	time.Sleep(2 * time.Second)
	if jerr := w.agentPage.Call("screen.record.stop", nil, nil); jerr != nil {
		t.Fatalf("stop: %v", jerr)
	}
	w.agentPage.Await(&agentCursor, "recording stopped", stateIs("screen.record.state", "stopped"))
	w.waitSpoolDrained(t)
	frames := decodeSegments(t, uploads.got("primary"), "primary", 960, 1080, func(n, i int, f [4][3]int) {
		if !matches(f, primaryA) {
			t.Errorf("segment %d frame %d: %v, want the primary's half of pattern A", n, i, f)
		}
	})
	if frames < 8 {
		t.Errorf("%d frames recorded, want some 12 (6 s at 2 fps)", frames)
	}
	// The X library's lines (this HOME has no ~/.Xauthority) went to
	// BPClient.log at debug, none to the agent's stderr (issue 11).
	if out, err := os.ReadFile(filepath.Join(w.agentEnv.Root, "agent.stderr")); err != nil || strings.Contains(string(out), "XGB") {
		t.Errorf("the agent's stderr (%v): %s; want no line of the X library", err, out)
	}
	found := false
	for _, l := range strings.Split(string(mustReadFile(t, w.agentEnv.LogFile())), "\n") {
		found = found || strings.Contains(l, `"level":"debug"`) && strings.Contains(l, `"library":"XGB`) && strings.Contains(l, "Could not get authority info")
	}
	if !found {
		t.Errorf("BPClient.log has no debug line of the X library about the missing ~/.Xauthority")
	}
}

// waitSpoolDrained waits until the watched agent has uploaded every
// segment it spooled. A stopped recording has spooled its last segment
// when the stop returns; screen.status no longer counts a stopped
// recording's pending segments, so the spool's folder is what tells.
func (w *monitorWorld) waitSpoolDrained(t *testing.T) {
	t.Helper()
	dir := filepath.Join(w.agentEnv.StateHome, "bpclient", "screen-spool")
	waitUntil(t, 20*time.Second, "the spool drained", func() bool {
		left, err := os.ReadDir(dir)
		return err == nil && len(left) == 0
	})
}
