package desktopapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

type gotRequest struct {
	RequestID string          `json:"requestId"`
	App       appInfo         `json:"app"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
}

func TestMakeCallReachesThePageAndItsAnswerTheApp(t *testing.T) {
	e := startAgent(t)
	app := e.app(t, "Acme CRM")
	wantError(t, "before attach", call(t, app, "desktop.makeCall", map[string]string{"number": "+15551234"}, nil),
		jsonrpc.CodeNoDesktopSession, jsonrpc.ReasonNotAttached)

	page := e.page(t, ourOrigin)
	attach(t, page)
	var attached sessionView
	json.Unmarshal(nextEvent(t, app, EventAttached), &attached)
	if !attached.Attached || attached.Agent == nil || attached.Agent.ID != "a-17" || attached.Agent.Extension != "2017" {
		t.Fatalf("desktop.attached = %+v", attached)
	}

	var result struct {
		InteractionID string `json:"interactionId"`
	}
	done := asyncCall(app, "desktop.makeCall", map[string]string{"number": "+15551234"}, &result)
	var req gotRequest
	json.Unmarshal(nextEvent(t, page, EventRequest), &req)
	if req.Method != "makeCall" || req.App.Name != "Acme CRM" || req.App.Version != "1.2.3" || req.RequestID == "" {
		t.Fatalf("desktop.request = %+v", req)
	}
	if string(req.Params) != `{"number":"+15551234"}` {
		t.Fatalf("desktop.request params = %s", req.Params)
	}
	mustCall(t, page, "desktop.respond", map[string]any{"requestId": req.RequestID, "result": map[string]string{"interactionId": "i-9"}}, nil)
	if err := waitErr(t, done); err != nil {
		t.Fatal(err)
	}
	if result.InteractionID != "i-9" {
		t.Fatalf("app got %+v", result)
	}

	// A page's refusal reaches the app with its code and message.
	done = asyncCall(app, "desktop.pauseRecording", map[string]bool{"voice": true}, nil)
	json.Unmarshal(nextEvent(t, page, EventRequest), &req)
	if req.Method != "pauseRecording" || string(req.Params) != `{"voice":true,"screen":false}` {
		t.Fatalf("desktop.request = %+v %s", req, req.Params)
	}
	mustCall(t, page, "desktop.respond", map[string]any{"requestId": req.RequestID, "error": map[string]any{"code": 1001, "message": "no recording to pause"}}, nil)
	if err := waitErr(t, done); err == nil || err.Code != 1001 || err.Message != "no recording to pause" {
		t.Fatalf("app got %v, want the page's error 1001", err)
	}
	// Answered already: a second answer is refused, the agent stays up.
	wantError(t, "second answer", call(t, page, "desktop.respond", map[string]any{"requestId": req.RequestID, "result": true}, nil),
		jsonrpc.CodeInvalidParams, "")
}

func TestAPageThatNeverAnswersTimesOut(t *testing.T) {
	e := startAgent(t)
	app := e.app(t, "Acme CRM")
	page := e.page(t, ourOrigin)
	attach(t, page)
	done := asyncCall(app, "desktop.status", nil, nil)
	var req gotRequest
	json.Unmarshal(nextEvent(t, page, EventRequest), &req)
	if d := <-e.clock.armed; d != DefaultTimeout {
		t.Fatalf("timer armed for %v, want %v", d, DefaultTimeout)
	}
	if n := e.clock.fireAll(); n != 1 {
		t.Fatalf("%d timers fired, want 1", n)
	}
	wantError(t, "no answer", waitErr(t, done), jsonrpc.CodeNoDesktopSession, jsonrpc.ReasonTimeout)
	wantError(t, "late answer", call(t, page, "desktop.respond", map[string]any{"requestId": req.RequestID, "result": true}, nil),
		jsonrpc.CodeInvalidParams, "")
}

func TestOneProviderAtATime(t *testing.T) {
	e := startAgent(t)
	app := e.app(t, "Acme CRM")
	first := e.page(t, ourOrigin)
	attach(t, first)
	second := e.page(t, ourOrigin)
	wantError(t, "second attach", call(t, second, "desktop.attach", map[string]any{"agent": testAgent, "functions": Functions}, nil),
		jsonrpc.CodeNotAllowed, jsonrpc.ReasonAlreadyAttached)

	// A request waiting on the first page fails when the second takes over.
	done := asyncCall(app, "desktop.makeCall", map[string]string{"number": "100"}, nil)
	nextEvent(t, first, EventRequest)
	mustCall(t, second, "desktop.attach", map[string]any{"agent": map[string]string{"id": "b-2"}, "functions": []string{"makeCall"}, "replace": true}, nil)
	wantError(t, "replaced page's request", waitErr(t, done), jsonrpc.CodeNoDesktopSession, jsonrpc.ReasonProviderLeft)
	var why map[string]string
	json.Unmarshal(nextEvent(t, first, EventDetached), &why)
	if why["reason"] != "replaced" {
		t.Fatalf("first page's desktop.detached = %v", why)
	}
	var view sessionView
	mustCall(t, app, "desktop.session", nil, &view)
	if view.Agent == nil || view.Agent.ID != "b-2" {
		t.Fatalf("desktop.session = %+v", view)
	}
	// The second page offers makeCall only.
	wantError(t, "not offered", call(t, app, "desktop.resumeRecording", map[string]bool{"screen": true}, nil),
		jsonrpc.CodeNoDesktopSession, jsonrpc.ReasonNotOffered)
	// The replaced page can no longer publish.
	wantError(t, "replaced publishes", call(t, first, "desktop.publish", map[string]any{"event": "call.released"}, nil),
		jsonrpc.CodeNoDesktopSession, jsonrpc.ReasonNotAttached)
}

func TestSessionEndDetaches(t *testing.T) {
	e := startAgent(t)
	app := e.app(t, "Acme CRM")
	page := e.page(t, ourOrigin)
	attach(t, page)
	nextEvent(t, app, EventAttached)
	done := asyncCall(app, "desktop.makeCall", map[string]string{"number": "100"}, nil)
	nextEvent(t, page, EventRequest)
	page.Close()
	wantError(t, "request of a closed page", waitErr(t, done), jsonrpc.CodeNoDesktopSession, jsonrpc.ReasonProviderLeft)
	var why map[string]string
	json.Unmarshal(nextEvent(t, app, EventDetached), &why)
	if why["reason"] != "session-ended" {
		t.Fatalf("desktop.detached = %v", why)
	}
	wantError(t, "after the page closed", call(t, app, "desktop.makeCall", map[string]string{"number": "100"}, nil),
		jsonrpc.CodeNoDesktopSession, jsonrpc.ReasonNotAttached)

	again := e.page(t, ourOrigin)
	attach(t, again)
	nextEvent(t, app, EventAttached)
	mustCall(t, again, "desktop.detach", nil, nil)
	json.Unmarshal(nextEvent(t, app, EventDetached), &why)
	if why["reason"] != "detached" {
		t.Fatalf("desktop.detached = %v", why)
	}
}

func TestEachSideIsRefusedTheOthersMethods(t *testing.T) {
	e := startAgent(t)
	app := e.app(t, "Acme CRM")
	page := e.page(t, ourOrigin)
	for _, m := range []string{"desktop.makeCall", "desktop.pauseRecording", "desktop.resumeRecording", "desktop.status", "desktop.session"} {
		wantError(t, "page calls "+m, call(t, page, m, map[string]any{"number": "1", "voice": true}, nil),
			jsonrpc.CodeNotAllowed, jsonrpc.ReasonDesktopAppOnly)
	}
	for _, m := range []string{"desktop.attach", "desktop.detach", "desktop.respond", "desktop.publish"} {
		wantError(t, "app calls "+m, call(t, app, m, map[string]any{"agent": testAgent, "event": "call.initiated", "requestId": "d1", "result": 1}, nil),
			jsonrpc.CodeNotAllowed, jsonrpc.ReasonProviderOnly)
	}
	// A page cannot pose as a desktop application.
	pose := e.dial(t)
	if err := pose.Notify("relay.identify", map[string]any{"browser": "chromium", "extension": ourExt}); err != nil {
		t.Fatal(err)
	}
	wantError(t, "page says desktopApp", call(t, pose, "helper.hello", map[string]any{"client": "x", "pageOrigin": ourOrigin, "desktopApp": true}, nil),
		jsonrpc.CodeInvalidParams, "")
	wantError(t, "app without a name", call(t, e.dial(t), "helper.hello", map[string]any{"desktopApp": true}, nil),
		jsonrpc.CodeInvalidParams, "")
}

func TestPublishedEventsReachTheAppsOnly(t *testing.T) {
	e := startAgent(t)
	app := e.app(t, "Acme CRM")
	other := e.page(t, otherOrigin)
	page := e.page(t, ourOrigin)
	wantError(t, "publish before attach", call(t, page, "desktop.publish", map[string]any{"event": "call.initiated"}, nil),
		jsonrpc.CodeNoDesktopSession, jsonrpc.ReasonNotAttached)
	attach(t, page)
	wantError(t, "unknown event", call(t, page, "desktop.publish", map[string]any{"event": "call.exploded"}, nil), jsonrpc.CodeInvalidParams, "")
	wantError(t, "params not an object", call(t, page, "desktop.publish", map[string]any{"event": "call.initiated", "params": []int{1}}, nil), jsonrpc.CodeInvalidParams, "")
	for i, ev := range Events {
		mustCall(t, page, "desktop.publish", map[string]any{"event": ev, "params": map[string]int{"seq": i}}, nil)
	}
	for i, want := range Events {
		var got struct {
			Event  string         `json:"event"`
			Params map[string]int `json:"params"`
		}
		json.Unmarshal(nextEvent(t, app, EventEvent), &got)
		if got.Event != want || got.Params["seq"] != i {
			t.Fatalf("event %d: got %+v, want %s seq %d", i, got, want, i)
		}
	}
	noEvent(t, other, EventEvent)
}

// The helper's own softphone events reach desktop applications as they
// reach the user's other clients, whichever page owns the phone.
func TestSoftphoneEventsReachApps(t *testing.T) {
	e := startAgent(t)
	app := e.app(t, "Acme CRM")
	e.srv.BroadcastTo(agent.ToOrigin(ourOrigin), "call.state", map[string]string{"callId": "c1", "state": "ringing"})
	var got map[string]string
	json.Unmarshal(nextEvent(t, app, "call.state"), &got)
	if got["state"] != "ringing" {
		t.Fatalf("call.state = %v", got)
	}
}

func TestBadInputGetsClearErrorsAndTheAgentStaysUp(t *testing.T) {
	e := startAgent(t)
	app := e.app(t, "Acme CRM")
	page := e.page(t, ourOrigin)
	long := strings.Repeat("9", maxText+1)
	for _, tc := range []struct {
		c      interface{}
		method string
		params any
	}{
		{page, "desktop.attach", map[string]any{}},
		{page, "desktop.attach", map[string]any{"agent": map[string]any{"id": 5}}},
		{page, "desktop.attach", map[string]any{"agent": map[string]any{"id": long}}},
		{page, "desktop.attach", map[string]any{"agent": testAgent, "functions": make([]string, maxFunctions+1)}},
		{page, "desktop.respond", map[string]any{"requestId": "d1"}},
		{page, "desktop.respond", map[string]any{"requestId": "d1", "result": 1, "error": map[string]any{"code": 1}}},
		{page, "desktop.publish", map[string]any{"event": "call.initiated", "params": map[string]string{"x": strings.Repeat("x", maxPayload)}}},
		{app, "desktop.makeCall", map[string]any{"number": long}},
		{app, "desktop.makeCall", map[string]any{}},
		{app, "desktop.makeCall", []string{"not", "an", "object"}},
		{app, "desktop.pauseRecording", map[string]any{}},
		{app, "desktop.resumeRecording", map[string]any{"voice": "yes"}},
	} {
		c := page
		if tc.c == app {
			c = app
		}
		wantError(t, tc.method, call(t, c, tc.method, tc.params, nil), jsonrpc.CodeInvalidParams, "")
	}
	// Both sessions still work.
	attach(t, page)
	done := asyncCall(app, "desktop.makeCall", map[string]string{"number": "100"}, nil)
	var req gotRequest
	json.Unmarshal(nextEvent(t, page, EventRequest), &req)
	mustCall(t, page, "desktop.respond", map[string]any{"requestId": req.RequestID, "result": map[string]bool{"ok": true}}, nil)
	if err := waitErr(t, done); err != nil {
		t.Fatal(err)
	}

}
