//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/desktopclient"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg/extension"
)

// TestDesktopAPIWithDemoPage runs the desktop API end to end with the Go
// client (package desktopclient): the demo Agent Desktop in headless
// Chromium attaches through bpclient.js, the real extension, host and
// agent; the application waits for desktop.attached and makes a call,
// which the page places through its softphone (Kamailio, baresip
// answering); it gets call.initiated once the call is up and
// call.released once the page hung up, in order on its event channel,
// and the callee heard the agent's tone. It pauses and resumes
// recording, each answered by the page, follows the page across an
// agent restart, and sees desktop.detached when the page closes.
func TestDesktopAPIWithDemoPage(t *testing.T) {
	t.Parallel()
	d := startDemoDesktop(t)
	f, ctx := d.f, d.f.ctx

	app, err := desktopclient.Dial(ctx, desktopclient.Options{Name: "e2e CRM", Version: "1.0", Addr: f.env.AgentSocket(),
		Retry: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	// Right after Dial, before the client has told of its connection.
	_, err = app.MakeCall(ctx, "1002")
	wantDesktopReason(t, "before the page attached", err, jsonrpc.ReasonNotAttached)
	if c := appNext[desktopclient.Connection](t, app); !c.Connected {
		t.Fatalf("first event %+v", c)
	}

	page := d.open(t)
	callee := registerDemoSoftphone(t, ctx, page)
	attachDemo(t, ctx, page, "a-7", "Eve Agent", "1007")
	if a := appNext[desktopclient.Attached](t, app); a.Agent.ID != "a-7" || a.Agent.Name != "Eve Agent" || len(a.Functions) != 4 {
		t.Fatalf("desktop.attached = %+v", a)
	}

	var call struct {
		InteractionID string `json:"interactionId"`
		CallID        string `json:"callId"`
	}
	r, err := app.MakeCall(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	decodeEvent(t, r, &call)
	if call.InteractionID == "" || call.CallID == "" {
		t.Fatalf("makeCall answered %s, want the interaction and the softphone's call", r)
	}
	var ev callInteraction
	decodeEvent(t, appInteraction(t, app, "call.initiated"), &ev)
	if ev.InteractionID != call.InteractionID || ev.CallID != call.CallID || ev.Number != "1002" || ev.Codec != "PCMU" {
		t.Fatalf("call.initiated %+v, want interaction %s, call %s to 1002 in PCMU", ev, call.InteractionID, call.CallID)
	}
	hangUpDemoCall(t, ctx, page)
	decodeEvent(t, appInteraction(t, app, "call.released"), &ev)
	if ev.InteractionID != call.InteractionID || ev.CallID != call.CallID || ev.Reason != "local hangup" {
		t.Fatalf("call.released %+v, want interaction %s, call %s, local hangup", ev, call.InteractionID, call.CallID)
	}
	checkCalleeHeardAgentTone(t, callee)

	var rec map[string]bool
	r, err = app.PauseRecording(ctx, desktopclient.Recording{Voice: true})
	if err != nil {
		t.Fatal(err)
	}
	if decodeEvent(t, r, &rec); rec["voice"] || !rec["screen"] {
		t.Fatalf("pauseRecording: %s", r)
	}
	appInteraction(t, app, "recording.paused")
	if r, err = app.ResumeRecording(ctx, desktopclient.Recording{Voice: true}); err != nil {
		t.Fatal(err)
	}
	if decodeEvent(t, r, &rec); !rec["voice"] {
		t.Fatalf("resumeRecording: %s", r)
	}
	appInteraction(t, app, "recording.resumed")
	// The page is not the application: its own makeCall is refused.
	_, rerr, err := browsertest.DemoCall(ctx, page, "desktop.makeCall", map[string]string{"number": "1"})
	if err != nil || rerr == nil || rerr.Code != jsonrpc.CodeNotAllowed || rerr.Data["reason"] != jsonrpc.ReasonDesktopAppOnly {
		t.Fatalf("page's desktop.makeCall: %v %v", rerr, err)
	}

	// The agent crashes: the host starts a new one, bpclient.js attaches
	// the page again by itself, and the client reconnects and finds it.
	from := logLen(t, ctx, page)
	f.agent.Kill()
	e, _ := waitState(t, ctx, page, "helper-disconnected", from, stateTimeout)
	if c := appNext[desktopclient.Connection](t, app); c.Connected {
		t.Fatalf("the agent died and the client says %+v", c)
	}
	waitState(t, ctx, page, "connected", e.Index, recoverTimeout)
	for {
		ev := appNextAny(t, app)
		if a, ok := ev.(desktopclient.Attached); ok {
			if a.Agent.ID != "a-7" {
				t.Fatalf("attached again as %+v", a)
			}
			break
		}
		if _, ok := ev.(desktopclient.Connection); !ok {
			t.Fatalf("%T %+v while waiting for the page to attach again", ev, ev)
		}
	}

	page.Close()
	if det := appNext[desktopclient.Detached](t, app); det.Reason != "session-ended" {
		t.Fatalf("desktop.detached = %+v", det)
	}
	_, err = app.MakeCall(ctx, "1002")
	wantDesktopReason(t, "after the page closed", err, jsonrpc.ReasonNotAttached)
}

// callInteraction is what the demo page's call events carry.
type callInteraction struct {
	InteractionID string `json:"interactionId"`
	Number        string `json:"number"`
	CallID        string `json:"callId"`
	Codec         string `json:"codec"`
	Reason        string `json:"reason"`
}

// appNextAny is the Go client's next event but the helper's own
// softphone events (call.state, quality.report, ...), which an
// application may use and these tests need not.
func appNextAny(t *testing.T, c *desktopclient.Client) desktopclient.Event {
	t.Helper()
	timeout := time.After(stateTimeout)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatal("the client's events ended")
			}
			if _, helper := ev.(desktopclient.HelperEvent); !helper {
				return ev
			}
		case <-timeout:
			t.Fatalf("no desktop event within %v", stateTimeout)
		}
	}
}

// appNext is the Go client's next event, which must be a T: anything
// else first fails the test, so the order of events is asserted.
func appNext[T desktopclient.Event](t *testing.T, c *desktopclient.Client) T {
	t.Helper()
	ev := appNextAny(t, c)
	e, ok := ev.(T)
	if !ok {
		t.Fatalf("%T %+v came first, want a %T", ev, ev, *new(T))
	}
	return e
}

// appInteraction is the next event, which must be the page's event
// name; it returns its params.
func appInteraction(t *testing.T, c *desktopclient.Client, name string) json.RawMessage {
	t.Helper()
	ev := appNext[desktopclient.Interaction](t, c)
	if ev.Event != name {
		t.Fatalf("the page's %s %s came first, want %s", ev.Event, ev.Params, name)
	}
	return ev.Params
}

// demoDesktop is the demo Agent Desktop's browser: headless Chromium with
// the real extension, host and agent (the fixture's); open loads the page.
type demoDesktop struct {
	f       *fixture
	browser *browsertest.Chromium
}

// startDemoDesktop starts the fixture and the browser, whose output the
// test logs when it fails. The browser's first tab cannot be closed on its
// own: it gets a blank one, so that closing the page ends its session.
func startDemoDesktop(t *testing.T) *demoDesktop {
	t.Helper()
	browsertest.NeedChromium(t)
	f := newFixture(t, extension.Chromium)
	var out bytes.Buffer
	var outMu sync.Mutex
	b, err := browsertest.StartChromium(f.ctx, browsertest.ChromiumOptions{
		Env: f.env, Extensions: []string{f.ext}, ExtensionID: extension.ChromiumID, Output: &lockedBuffer{b: &out, mu: &outMu},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	t.Cleanup(func() {
		if t.Failed() {
			outMu.Lock()
			t.Logf("chromium output:\n%s", tail(out.Bytes(), 40))
			outMu.Unlock()
		}
	})
	f.page(b, "about:blank")
	return &demoDesktop{f: f, browser: b}
}

// url is the demo page's address on the allowed domain.
func (d *demoDesktop) url() string { return d.f.srv.URL(browsertest.AllowedDomain, "/demo.html") }

// open loads the demo page in a tab of its own and waits until
// bpclient.js is connected to the agent.
func (d *demoDesktop) open(t *testing.T) browsertest.Page {
	t.Helper()
	page := d.f.page(d.browser, d.url())
	waitState(t, d.f.ctx, page, "connected", 0, stateTimeout)
	return page
}

// attachDemo makes the demo page the Agent Desktop of agent id (name,
// extension), offering all four functions.
func attachDemo(t *testing.T, ctx context.Context, page browsertest.Page, id, name, ext string) {
	t.Helper()
	var attached struct {
		OK        bool     `json:"ok"`
		Functions []string `json:"functions"`
		Error     any      `json:"error"`
	}
	expr := fmt.Sprintf(`bpDemo.desktop.attach({id: %q, name: %q, extension: %q}, false)`, id, name, ext)
	if err := page.Eval(ctx, expr, &attached); err != nil {
		t.Fatal(err)
	}
	if !attached.OK || len(attached.Functions) != 4 {
		t.Fatalf("attach: %+v", attached)
	}
}

func wantDesktopReason(t *testing.T, what string, err error, reason string) {
	t.Helper()
	var rerr *jsonrpc.Error
	if !errors.As(err, &rerr) || rerr.Code != jsonrpc.CodeNoDesktopSession {
		t.Fatalf("%s: %v, want code %d", what, err, jsonrpc.CodeNoDesktopSession)
	}
	if data, _ := rerr.Data.(map[string]any); data["reason"] != reason {
		t.Fatalf("%s: %v, want reason %s", what, rerr, reason)
	}
}

func decodeEvent(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
}
