//go:build linux && cgo && vpx

package e2e

import (
	"fmt"
	"image"
	"image/color"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/monitorapi"
	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/internal/testpeers"
)

// captureStats is the watched agent's helper.status: its capture of
// every monitor, shared by recording and monitoring, and what the
// monitoring sent.
type captureStats struct {
	Opens, Grabs int64
	Consumers    int
	FPS          int
	Held         bool
	SentFrames   int64
	SentKeys     int64
}

func (w *monitorWorld) captureStats(t *testing.T) captureStats {
	t.Helper()
	var st struct {
		ScreenCapture map[string]captureStats `json:"screenCapture"`
		ScreenLive    struct{ SentFrames, SentKeyframes int64 }
	}
	if jerr := w.agentPage.Call("helper.status", nil, &st); jerr != nil {
		t.Fatal(jerr)
	}
	c, ok := st.ScreenCapture["all"]
	if !ok {
		t.Errorf("helper.status has no shared capture of all the screens: %+v", st.ScreenCapture)
	}
	if len(st.ScreenCapture) != 1 {
		t.Errorf("captures %+v: recording and monitoring should share one", st.ScreenCapture)
	}
	c.SentFrames, c.SentKeys = st.ScreenLive.SentFrames, st.ScreenLive.SentKeyframes
	return c
}

func imageIs(img image.Image, c color.RGBA) bool {
	return colourNear(img, 480, 270, c) && colourNear(img, 1440, 810, c)
}

func quadrantsOf(img image.Image, pattern [4]uint32) bool {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	for i, pt := range [4][2]int{{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}} {
		c := pattern[i]
		if !colourNear(img, pt[0], pt[1], color.RGBA{R: uint8(c >> 16), G: uint8(c >> 8), B: uint8(c), A: 255}) {
			return false
		}
	}
	return true
}

// TestScreenRecordingAndMonitoringShareOneCapture: the real agent on
// Xvfb records (2 fps, to the HTTPS test server) while a second agent
// watches it (4 fps): helper.status shows one capture of the screen,
// opened once, with both as consumers, grabbing at the higher rate; the
// viewer's frames and the uploaded segments both show the pattern. A
// pause of the recording (PCI) holds the capture: no grab, no frame sent,
// the page told screen.monitor.state paused; the viewer never gets a
// frame of what the screen showed meanwhile, nor do the segments; on
// resume the monitoring goes on with a keyframe.
func TestScreenRecordingAndMonitoringShareOneCapture(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			testpeers.Missing(t, tool+" is not installed (scripts/deps.sh installs ffmpeg)")
			return
		}
	}
	uploads := startSegmentServer(t, t.TempDir())
	w := newMonitorWorldWith(t, monitorWorldOptions{agentEnv: []string{"SSL_CERT_FILE=" + uploads.cert}, agentDomains: []string{"127.0.0.1"}})
	if w == nil {
		return
	}
	began := time.Now()
	quadrants(w.painter, patternA)
	if jerr := w.agentPage.Call("screen.record.start", map[string]any{"recordingId": "shared", "uploadUrl": uploads.url + "/segments",
		"fps": 2, "segmentSeconds": 4, "headers": map[string]string{"Authorization": "Bearer e2e-token"}}, nil); jerr != nil {
		t.Fatalf("record.start: %v", jerr)
	}
	agentCursor, superCursor := 0, 0
	w.connect(t, "m1", "v1", 4)
	w.agentPage.Await(&agentCursor, "monitor live", stateIs(monitorapi.EventMonitorState, "live"))
	first := w.nextFrame(t, &superCursor, "v1", func(image.Image) bool { return true })
	if !quadrantsOf(first.img, patternA) {
		t.Fatalf("the viewer's first frame does not show pattern A: %s", quadrantsWrong(first.img))
	}

	st0 := w.captureStats(t)
	time.Sleep(2 * time.Second)
	st1 := w.captureStats(t)
	grabRate := float64(st1.Grabs-st0.Grabs) / 2
	t.Logf("one capture: %+v; %.1f grabs/s while recording at 2 fps and monitoring at 4", st1, grabRate)
	if st1.Opens != 1 || st1.Consumers != 2 || st1.FPS != 4 {
		t.Errorf("capture %+v: want opened once, 2 consumers (recording, monitoring), at the higher rate 4", st1)
	}
	if grabRate < 3 || grabRate > 5 {
		t.Errorf("%.1f grabs a second, want 4 (one capture for both: two would make 6)", grabRate)
	}

	quadrants(w.painter, patternB)
	w.nextFrame(t, &superCursor, "v1", func(img image.Image) bool { return quadrantsOf(img, patternB) })

	// PCI: the recording pauses; the monitoring must not show the screen.
	if jerr := w.agentPage.Call("screen.record.pause", nil, nil); jerr != nil {
		t.Fatalf("pause: %v", jerr)
	}
	recorded := time.Since(began)
	ev := w.agentPage.Await(&agentCursor, "monitor paused", stateIs(monitorapi.EventMonitorState, "paused"))
	t.Logf("the monitoring page: %s", ev.Params)
	held := w.captureStats(t)
	w.painter.Fill(desktoptest.Box{W: 1920, H: 1080, RGB: pciPink})
	time.Sleep(2 * time.Second)
	during := w.captureStats(t)
	if !during.Held || during.Grabs != held.Grabs || during.SentFrames != held.SentFrames {
		t.Errorf("paused: capture %+v after %+v: want held, no grab and no frame sent", during, held)
	}
	// Pattern A again: a frame of it is one from after the resume (the
	// viewer may still hold pattern B frames from before the pause).
	quadrants(w.painter, patternA)
	if jerr := w.agentPage.Call("screen.record.resume", nil, nil); jerr != nil {
		t.Fatalf("resume: %v", jerr)
	}
	resumed := time.Now()
	w.agentPage.Await(&agentCursor, "monitor resumed", func(ev client.Event) bool {
		return stateIs(monitorapi.EventMonitorState, "live")(ev) && strings.Contains(string(ev.Params), `"reason":"resumed"`)
	})
	pink := color.RGBA{R: 0xff, B: 0xff, A: 255}
	sawPink := 0
	w.nextFrame(t, &superCursor, "v1", func(img image.Image) bool {
		if colourNear(img, 480, 270, pink) || colourNear(img, 1440, 810, pink) {
			sawPink++
		}
		return quadrantsOf(img, patternA)
	})
	if sawPink > 0 {
		t.Errorf("the viewer got %d frames of the screen painted while the recording was paused", sawPink)
	}
	if after := w.captureStats(t); after.SentKeys <= during.SentKeys {
		t.Errorf("no keyframe sent on resume: %d keyframes before the pause, %d after", during.SentKeys, after.SentKeys)
	}
	time.Sleep(2 * time.Second)
	if jerr := w.agentPage.Call("screen.record.stop", nil, nil); jerr != nil {
		t.Fatalf("stop: %v", jerr)
	}
	recorded += time.Since(resumed)
	w.agentPage.Await(&agentCursor, "recording stopped", stateIs("screen.record.state", "stopped"))
	w.waitSpoolDrained(t)
	if st := w.captureStats(t); st.Opens != 1 || st.Consumers != 1 {
		t.Errorf("the recording stopped, the monitoring goes on: capture %+v, want still the one opening, 1 consumer", st)
	}
	frames := decodeSegments(t, uploads.got("shared"), "shared", 1920, 1080, func(n, i int, f [4][3]int) {
		if anyNear(f, pciPink) {
			t.Errorf("segment %d frame %d shows the paused screen: %v", n, i, f)
		}
		if !matches(f, patternA) && !matches(f, patternB) {
			t.Errorf("segment %d frame %d: %v, want pattern A or B", n, i, f)
		}
	})
	// 2 fps of the recorded time, within the frame a start, a pause, a
	// resume and a stop may each cut.
	if want := int(2 * recorded.Seconds()); frames < want-3 || frames > want+2 {
		t.Errorf("%d frames recorded in %v at 2 fps, want %d", frames, recorded.Round(100*time.Millisecond), want)
	}
	t.Logf("recorded and monitored at once in %v", time.Since(began).Round(100*time.Millisecond))
}

// decodeSegments decodes the segments 1 to len(segs) of recording id,
// fails t for each that is not width×height, hands each frame to check
// (segment and frame number, the colours at the quadrants' centres) and
// returns how many frames they hold.
func decodeSegments(t *testing.T, segs map[int][]byte, id string, width, height int, check func(n, i int, f [4][3]int)) int {
	t.Helper()
	dir := t.TempDir()
	frames := 0
	for n := 1; n <= len(segs); n++ {
		d := decodeSegment(t, dir, fmt.Sprintf("%s%d", id, n), segs[n])
		t.Logf("segment %d: %d bytes, %dx%d, %d frames", n, len(segs[n]), d.width, d.height, len(d.frames))
		if d.width != width || d.height != height {
			t.Errorf("segment %d is %dx%d, want %dx%d", n, d.width, d.height, width, height)
		}
		for i, f := range d.frames {
			check(n, i, f)
		}
		frames += len(d.frames)
	}
	return frames
}
