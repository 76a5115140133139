//go:build linux && cgo && vpx

package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/monitorapi"
	"github.com/openbpclient/bpclient/helper/screenproxy"
	"github.com/openbpclient/bpclient/internal/agenttest"
)

// The agent records and streams the screen through bpclient-screen, a
// worker of its own (helper/screenproxy): these tests watch that worker.

// screenWorker is the pid of the agent's running screen worker, or 0.
func screenWorker(t *testing.T, agent int) int {
	t.Helper()
	pids := childrenNamed(agent, screenproxy.Program)
	if len(pids) > 1 {
		t.Fatalf("the agent runs %d screen workers: %v", len(pids), pids)
	}
	if len(pids) == 0 {
		return 0
	}
	return pids[0]
}

// spooledSegments counts the segments in the agent's upload spool.
func spooledSegments(r *recordingAgent) int {
	files, _ := filepath.Glob(filepath.Join(r.env.StateHome, "bpclient", "screen-spool", "r-*", "*.webm"))
	return len(files)
}

// TestScreenWorkerKilledMidRecording: the worker dies (SIGKILL) while
// it records, with two segments waiting for an upload server that
// refuses them: the page is told screen.record.state stopped,
// worker-failed; the segments stay in the spool and a new worker, which
// the agent starts for them, uploads them when the server takes them
// again, decodable and of the pattern; the next recording works.
func TestScreenWorkerKilledMidRecording(t *testing.T) {
	r := startRecordingAgent(t)
	if r == nil {
		return
	}
	page := r.recordRefused("crashed")
	agentPID := r.agent.Cmd.Process.Pid
	worker := screenWorker(t, agentPID)
	if worker == 0 {
		t.Fatal("the agent records with no screen worker")
	}
	if err := syscall.Kill(worker, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	st := awaitEvent(t, page, "screen.record.state", 10*time.Second, func(p map[string]any) bool { return p["state"] == "stopped" })
	if st["reason"] != screenproxy.ReasonWorkerFailed || st["recordingId"] != "crashed" {
		t.Fatalf("after the worker's death the page heard %v, want stopped, %s", st, screenproxy.ReasonWorkerFailed)
	}
	if n := spooledSegments(r); n < 2 {
		t.Fatalf("the spool holds %d segments after the worker died, want the 2 it had", n)
	}
	r.uploads.setStatus(http.StatusCreated)
	waitUntil(t, 30*time.Second, "the dead worker's segments uploaded", func() bool { return len(r.uploads.got("crashed")) >= 2 })
	segs := r.uploads.got("crashed")
	for n := 1; n <= 2; n++ {
		d := decodeSegment(t, t.TempDir(), "c", segs[n])
		if d.width != 1920 || d.height != 1080 || len(d.frames) == 0 || !matches(d.frames[0], patternA) {
			t.Errorf("segment %d: %dx%d, %d frames, not pattern A", n, d.width, d.height, len(d.frames))
		}
	}
	if w := screenWorker(t, agentPID); w == worker {
		t.Fatalf("the killed worker %d still runs", w)
	}
	after := r.startParams("after")
	after["segmentSeconds"] = 2
	if err := call(t, page, "screen.record.start", after); err != nil {
		t.Fatalf("a recording after the worker died: %v", err)
	}
	waitUntil(t, 20*time.Second, "the next recording's first segment", func() bool { return r.uploads.got("after")[1] != nil })
	if err := call(t, page, "screen.record.stop", nil); err != nil {
		t.Fatal(err)
	}
}

// TestScreenWorkerEndsWhenIdle: an agent with nothing to record runs no
// worker; a recording starts one (the time from the request to the
// first frame is printed); once it has stopped and its segments are up
// the worker ends, and the next request starts another.
func TestScreenWorkerEndsWhenIdle(t *testing.T) {
	r := startRecordingAgent(t)
	if r == nil {
		return
	}
	quadrants(r.paint, patternA)
	page := r.page()
	agentPID := r.agent.Cmd.Process.Pid
	if w := screenWorker(t, agentPID); w != 0 {
		t.Fatalf("an idle agent with an empty spool runs screen worker %d", w)
	}
	var first int
	for i, id := range []string{"idle-1", "idle-2"} {
		began := time.Now()
		if err := call(t, page, "screen.record.start", r.startParams(id)); err != nil {
			t.Fatal(err)
		}
		answered := time.Since(began)
		waitUntil(t, 10*time.Second, id+"'s first frame", func() bool {
			var st struct{ Frames int }
			return page.Call(t.Context(), "screen.status", nil, &st) == nil && st.Frames >= 1
		})
		t.Logf("%s: a new worker answered screen.record.start in %v, first frame %v after the request (load %s)", id,
			answered.Round(time.Millisecond), time.Since(began).Round(10*time.Millisecond), loadAverage())
		w := screenWorker(t, agentPID)
		if w == 0 || w == first {
			t.Fatalf("recording %d runs in worker %d (the first was %d): want a new one", i+1, w, first)
		}
		first = w
		time.Sleep(2 * time.Second)
		t.Logf("recording 1080p at 2 fps: agent VmRSS %d kB (VmHWM %d kB), worker VmRSS %d kB (VmHWM %d kB)", procMemKB(t, agentPID, "VmRSS"),
			procMemKB(t, agentPID, "VmHWM"), procMemKB(t, w, "VmRSS"), procMemKB(t, w, "VmHWM"))
		if err := call(t, page, "screen.record.stop", nil); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, 20*time.Second, id+" uploaded", func() bool { return len(r.uploads.got(id)) == 1 })
		stopped := time.Now()
		waitUntil(t, 20*time.Second, "the idle worker ended", func() bool { return screenWorker(t, agentPID) == 0 })
		t.Logf("the idle worker ended %v after the upload", time.Since(stopped).Round(100*time.Millisecond))
	}
	log, err := os.ReadFile(r.env.LogFile())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, "screen worker ready") {
			t.Logf("agent: %s", line)
		}
	}
	if !strings.Contains(string(log), `"proc":"screen"`) {
		t.Errorf("BPClient.log has no line of the screen worker")
	}
	if strings.Contains(string(log), "screen worker died") {
		t.Errorf("a worker ended for idleness was taken for a crash")
	}
}

// TestScreenWorkerSessionClosed: the page that offered the screen
// closes its session in the agent; the worker, told so, ends the
// monitoring it started (page-left to its origin's other pages), and the
// screen can be offered again.
func TestScreenWorkerSessionClosed(t *testing.T) {
	w := newMonitorWorld(t)
	if w == nil {
		return
	}
	c, _ := dialPage(t, w.agentEnv.AgentSocket(), agenttest.OriginA)
	var offer struct{ SDP string }
	if err := c.Call(t.Context(), "screen.monitor.offer", map[string]any{"monitorId": "gone"}, &offer); err != nil || offer.SDP == "" {
		t.Fatalf("offer: %v", err)
	}
	var st struct {
		ScreenLive struct{ Monitoring bool } `json:"screenLive"`
	}
	if jerr := w.agentPage.Call("helper.status", nil, &st); jerr != nil || !st.ScreenLive.Monitoring {
		t.Fatalf("helper.status after the offer: %+v %v", st, jerr)
	}
	cursor := 0
	c.Close()
	w.agentPage.Await(&cursor, "the monitoring ended: page-left", func(ev client.Event) bool {
		return ev.Method == monitorapi.EventMonitorState && strings.Contains(string(ev.Params), `"page-left"`) && strings.Contains(string(ev.Params), `"gone"`)
	})
	if jerr := w.agentPage.Call("helper.status", nil, &st); jerr != nil || st.ScreenLive.Monitoring {
		t.Fatalf("helper.status after the page left: %+v %v", st, jerr)
	}
	if jerr := w.agentPage.Call("screen.monitor.offer", map[string]any{"monitorId": "again"}, &offer); jerr != nil {
		t.Fatalf("the screen cannot be offered again: %v", jerr)
	}
}

// TestScreenWorkerDesktopPause: a local desktop application's
// desktop.pauseRecording {screen: true} reaches the recording in the
// worker through the agent (no page attached: the answer says the
// screen paused), the page hears paused, and resume resumes it.
func TestScreenWorkerDesktopPause(t *testing.T) {
	r := startRecordingAgent(t)
	if r == nil {
		return
	}
	quadrants(r.paint, patternA)
	page := r.page()
	if err := call(t, page, "screen.record.start", r.startParams("desk")); err != nil {
		t.Fatal(err)
	}
	awaitEvent(t, page, "screen.record.state", 10*time.Second, func(p map[string]any) bool { return p["state"] == "recording" })
	app, err := client.Dial(t.Context(), r.env.AgentSocket())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	if err := app.Call(t.Context(), "helper.hello", map[string]any{"client": "crm", "clientVersion": "1.0", "desktopApp": true}, nil); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct{ method, want string }{{"desktop.pauseRecording", "paused"}, {"desktop.resumeRecording", "recording"}} {
		var res map[string]string
		if err := app.Call(t.Context(), step.method, map[string]bool{"screen": true}, &res); err != nil || res["screen"] != step.want {
			t.Fatalf("%s: %v %v", step.method, res, err)
		}
		st := awaitEvent(t, page, "screen.record.state", 10*time.Second, func(p map[string]any) bool { return p["state"] == step.want })
		if st["recordingId"] != "desk" {
			t.Errorf("%s: the page heard %v", step.method, st)
		}
	}
	if err := call(t, page, "screen.record.stop", nil); err != nil {
		t.Fatal(err)
	}
}
