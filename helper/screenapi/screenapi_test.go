package screenapi_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/internal/agenttest"
	"github.com/openbpclient/bpclient/screen/spool"
)

// TestRecordingReachesTheUploadServer: start, segments of 2 s at 10 fps
// are uploaded with the page's token, the page hears the states and each
// upload, and stop ends it; the indicator is up while it records.
func TestRecordingReachesTheUploadServer(t *testing.T) {
	r := newRig(t, true)
	page := r.a.Open("page", agenttest.OriginA)
	cur := 0
	var res map[string]string
	if err := page.Call("screen.record.start", r.startParams("call-1"), &res); err != nil {
		t.Fatal(err)
	}
	if res["state"] != "recording" || res["recordingId"] != "call-1" {
		t.Errorf("start answered %v", res)
	}
	if st := awaitState(page, &cur, "recording"); st["recordingId"] != "call-1" || st["reason"] != "started" {
		t.Errorf("state %v", st)
	}
	if shown, open := r.ind.state(); shown != 1 || !open {
		t.Errorf("indicator shown %d, open %v", shown, open)
	}
	r.frames(25) // one segment of 2 s, and a half
	var up map[string]any
	page.Await(&cur, "screen.record.uploaded", func(ev client.Event) bool {
		_ = json.Unmarshal(ev.Params, &up)
		return ev.Method == "screen.record.uploaded"
	})
	if up["segment"] != 1.0 || up["bytes"].(float64) <= 0 || up["recordingId"] != "call-1" {
		t.Errorf("uploaded %v", up)
	}
	var st map[string]any
	if err := page.Call("screen.status", nil, &st); err != nil {
		t.Fatal(err)
	}
	if st["state"] != "recording" || st["recordingId"] != "call-1" || st["fps"] != 10.0 || st["maxWidth"] != 1920.0 || st["screens"] != "all" {
		t.Errorf("status %v", st)
	}
	if err := page.Call("screen.record.stop", nil, nil); err != nil {
		t.Fatal(err)
	}
	if st := awaitState(page, &cur, "stopped"); st["reason"] != "stopped" {
		t.Errorf("stopped %v", st)
	}
	if _, open := r.ind.state(); open {
		t.Error("the indicator is up after stop")
	}
	got := r.got()
	if len(got) == 0 || got[0].segment != 1 || got[0].auth != "Bearer tkn" || !strings.HasPrefix(got[0].body, "ftrue\nffalse\n") {
		t.Fatalf("uploads %+v", got)
	}
	// 2 s at 10 fps: the first segment holds 20 frames, one key.
	if n := strings.Count(got[0].body, "\n"); n != 20 || strings.Count(got[0].body, "true") != 1 {
		t.Errorf("segment 1 holds %d frames (%d keys), want 20 (1)", n, strings.Count(got[0].body, "true"))
	}
}

// TestBadInputIsRefusedByCode: a URL off the allow-list or over http,
// absurd fps or sizes, a second start and pause without start are
// refused with -32015 and the reason; nothing is recorded.
func TestBadInputIsRefusedByCode(t *testing.T) {
	r := newRig(t, false)
	page := r.a.Open("page", agenttest.OriginA)
	with := func(k string, v any) map[string]any {
		p := r.startParams("bad")
		p[k] = v
		return p
	}
	for _, c := range []struct {
		name   string
		method string
		params any
		reason string
	}{
		{"pause without start", "screen.record.pause", nil, jsonrpc.ReasonNotRecording},
		{"resume without start", "screen.record.resume", nil, jsonrpc.ReasonNotRecording},
		{"stop without start", "screen.record.stop", nil, jsonrpc.ReasonNotRecording},
		{"http", "screen.record.start", with("uploadUrl", strings.Replace(r.url(), "https:", "http:", 1)), jsonrpc.ReasonBadURL},
		{"off the list", "screen.record.start", with("uploadUrl", "https://evil.example/u"), jsonrpc.ReasonBadURL},
		{"fps 0.5", "screen.record.start", with("fps", 0.5), jsonrpc.ReasonBadParams},
		{"fps 11", "screen.record.start", with("fps", 11), jsonrpc.ReasonBadParams},
		{"fps -1", "screen.record.start", with("fps", -1), jsonrpc.ReasonBadParams},
		{"maxWidth 10", "screen.record.start", with("maxWidth", 10), jsonrpc.ReasonBadParams},
		{"maxWidth 100000", "screen.record.start", with("maxWidth", 100000), jsonrpc.ReasonBadParams},
		{"segmentSeconds 100000", "screen.record.start", with("segmentSeconds", 100000), jsonrpc.ReasonBadParams},
		{"screens", "screen.record.start", with("screens", "left"), jsonrpc.ReasonBadParams},
		{"header injection", "screen.record.start", with("headers", map[string]string{"X-A": "a\r\nHost: evil"}), jsonrpc.ReasonBadParams},
		{"reserved header", "screen.record.start", with("headers", map[string]string{"content-type": "text/plain"}), jsonrpc.ReasonBadParams},
		{"no id", "screen.record.start", with("recordingId", ""), jsonrpc.ReasonBadParams},
		{"id a path", "screen.record.start", with("recordingId", "../../etc"), jsonrpc.ReasonBadParams},
	} {
		err := page.Call(c.method, c.params, nil)
		if err == nil || err.Code != jsonrpc.CodeScreen || reasonOf(err) != c.reason {
			t.Errorf("%s: %v, want %d %s", c.name, err, jsonrpc.CodeScreen, c.reason)
		}
	}
	if n := r.screen.count(); n != 0 {
		t.Errorf("%d grabs after refused requests", n)
	}
	if left, _ := os.ReadDir(r.spool); len(left) != 0 {
		t.Errorf("spool holds %v", left)
	}
	if err := page.Call("screen.record.start", r.startParams("one"), nil); err != nil {
		t.Fatal(err)
	}
	if shown, _ := r.ind.state(); shown != 0 {
		t.Error("the indicator was shown though the policy does not ask for it")
	}
	if err := page.Call("screen.record.start", r.startParams("two"), nil); err == nil || reasonOf(err) != jsonrpc.ReasonAlreadyRecording {
		t.Errorf("second start: %v", err)
	}
	// Another site may neither pause nor stop it, nor learn its id.
	other := r.a.Open("other", agenttest.OriginB)
	if err := other.Call("screen.record.stop", nil, nil); err == nil || reasonOf(err) != jsonrpc.ReasonNotRecording {
		t.Errorf("other origin's stop: %v", err)
	}
	var st map[string]any
	if err := other.Call("screen.status", nil, &st); err != nil || st["recordingId"] != nil || st["state"] != "recording" {
		t.Errorf("other origin's status %v %v", st, err)
	}
}

func reasonOf(e *jsonrpc.Error) string {
	raw, _ := json.Marshal(e.Data)
	var d map[string]any
	_ = json.Unmarshal(raw, &d)
	s, _ := d["reason"].(string)
	return s
}

// TestRejectedTokenEndsTheRecording: the server answers 401; the page
// hears stopped with upload-unauthorized.
func TestRejectedTokenEndsTheRecording(t *testing.T) {
	r := newRig(t, false)
	r.mu.Lock()
	r.status = http.StatusUnauthorized
	r.mu.Unlock()
	page := r.a.Open("page", agenttest.OriginA)
	cur := 0
	if err := page.Call("screen.record.start", r.startParams("denied"), nil); err != nil {
		t.Fatal(err)
	}
	r.frames(21) // a segment to upload
	if st := awaitState(page, &cur, "stopped"); st["reason"] != spool.ReasonUnauthorized {
		t.Errorf("stopped %v, want %s", st, spool.ReasonUnauthorized)
	}
	if err := page.Call("screen.record.start", r.startParams("again"), nil); err != nil {
		t.Errorf("a new recording after the refused one: %v", err)
	}
}

// TestDesktopAppPausesTheRecorder: a desktop application's
// desktop.pauseRecording {screen: true} pauses the agent's recorder at
// once, with no Agent Desktop page attached to answer; nothing is
// grabbed until resumeRecording.
func TestDesktopAppPausesTheRecorder(t *testing.T) {
	r := newRig(t, true)
	page := r.a.Open("page", agenttest.OriginA)
	cur := 0
	if err := page.Call("screen.record.start", r.startParams("desk"), nil); err != nil {
		t.Fatal(err)
	}
	awaitState(page, &cur, "recording")
	app := r.a.Open("crm", "")
	if err := app.Call("helper.hello", map[string]any{"client": "crm", "desktopApp": true}, nil); err != nil {
		t.Fatal(err)
	}
	var res map[string]string
	if err := app.Call("desktop.pauseRecording", map[string]bool{"screen": true}, &res); err != nil || res["screen"] != "paused" {
		t.Fatalf("pauseRecording: %v %v", res, err)
	}
	if st := awaitState(page, &cur, "paused"); st["recordingId"] != "desk" {
		t.Errorf("paused %v", st)
	}
	if _, open := r.ind.state(); open {
		t.Error("the indicator stays up while paused")
	}
	before := r.screen.count()
	for i := 0; i < 5; i++ {
		r.clock.Advance(framePeriod)
		time.Sleep(10 * time.Millisecond)
	}
	if n := r.screen.count() - before; n != 0 {
		t.Errorf("%d grabs while paused", n)
	}
	if err := app.Call("desktop.resumeRecording", map[string]bool{"screen": true}, &res); err != nil || res["screen"] != "recording" {
		t.Fatalf("resumeRecording: %v %v", res, err)
	}
	awaitState(page, &cur, "recording")
	r.frames(2)
	// voice too still needs the page, which is not attached.
	if err := app.Call("desktop.pauseRecording", map[string]bool{"screen": true, "voice": true}, nil); err == nil || err.Code != jsonrpc.CodeNoDesktopSession {
		t.Errorf("voice and screen without a page: %v", err)
	}
	awaitState(page, &cur, "paused")
}
