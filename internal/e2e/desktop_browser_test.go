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

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg/extension"
)

// TestDesktopAPIWithDemoPage runs the desktop API end to end: the demo
// Agent Desktop in headless Chromium attaches through bpclient.js, the
// real extension, host and agent; a desktop application (a local client)
// waits for desktop.attached, makes a call and pauses and resumes
// recording, each answered by the page, gets the page's events in order,
// and sees desktop.detached when the page closes.
func TestDesktopAPIWithDemoPage(t *testing.T) {
	t.Parallel()
	d := startDemoDesktop(t)
	f, ctx := d.f, d.f.ctx

	app, err := client.Dial(ctx, f.env.AgentSocket())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := app.Call(ctx, "helper.hello", map[string]any{"client": "e2e CRM", "clientVersion": "1.0", "desktopApp": true}, nil); err != nil {
		t.Fatal(err)
	}
	err = app.Call(ctx, "desktop.makeCall", map[string]string{"number": "1002"}, nil)
	wantDesktopReason(t, "before the page attached", err, jsonrpc.ReasonNotAttached)

	page := d.open(t)
	attachDemo(t, ctx, page, "a-7", "Eve Agent", "1007")
	var view struct {
		Agent struct{ ID, Name string } `json:"agent"`
	}
	decodeEvent(t, appEvent(t, app, "desktop.attached"), &view)
	if view.Agent.ID != "a-7" || view.Agent.Name != "Eve Agent" {
		t.Fatalf("desktop.attached = %+v", view)
	}

	var call struct {
		InteractionID string `json:"interactionId"`
	}
	if err := app.Call(ctx, "desktop.makeCall", map[string]string{"number": "1002"}, &call); err != nil {
		t.Fatal(err)
	}
	if call.InteractionID == "" {
		t.Fatal("makeCall: no interactionId")
	}
	if err := page.Eval(ctx, fmt.Sprintf(`bpDemo.desktop.release(%q)`, call.InteractionID), nil); err != nil {
		t.Fatal(err)
	}
	var rec map[string]bool
	if err := app.Call(ctx, "desktop.pauseRecording", map[string]bool{"voice": true}, &rec); err != nil {
		t.Fatal(err)
	}
	if rec["voice"] || !rec["screen"] {
		t.Fatalf("pauseRecording: %v", rec)
	}
	if err := app.Call(ctx, "desktop.resumeRecording", map[string]bool{"voice": true}, &rec); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"call.initiated", "call.released", "recording.paused", "recording.resumed"} {
		var ev struct {
			Event  string         `json:"event"`
			Params map[string]any `json:"params"`
		}
		decodeEvent(t, appEvent(t, app, "desktop.event"), &ev)
		if ev.Event != want {
			t.Fatalf("desktop.event %q, want %q (%v)", ev.Event, want, ev.Params)
		}
		if want[:4] == "call" && ev.Params["interactionId"] != call.InteractionID {
			t.Fatalf("%s for %v, want %s", want, ev.Params["interactionId"], call.InteractionID)
		}
	}
	// The page is not the application: its own makeCall is refused.
	_, rerr, err := browsertest.DemoCall(ctx, page, "desktop.makeCall", map[string]string{"number": "1"})
	if err != nil || rerr == nil || rerr.Code != jsonrpc.CodeNotAllowed || rerr.Data["reason"] != jsonrpc.ReasonDesktopAppOnly {
		t.Fatalf("page's desktop.makeCall: %v %v", rerr, err)
	}

	// The agent crashes: the host starts a new one, bpclient.js attaches
	// the page again by itself, and a new application session finds it.
	from := logLen(t, ctx, page)
	f.agent.Kill()
	e, _ := waitState(t, ctx, page, "helper-disconnected", from, stateTimeout)
	waitState(t, ctx, page, "connected", e.Index, recoverTimeout)
	app.Close()
	if app, err = client.Dial(ctx, f.env.AgentSocket()); err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := app.Call(ctx, "helper.hello", map[string]any{"client": "e2e CRM", "clientVersion": "1.0", "desktopApp": true}, nil); err != nil {
		t.Fatal(err)
	}
	var session struct {
		Attached bool `json:"attached"`
	}
	for deadline := time.Now().Add(stateTimeout); !session.Attached; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the page did not attach again after the agent restarted")
		}
		if err := app.Call(ctx, "desktop.session", nil, &session); err != nil {
			t.Fatal(err)
		}
	}

	page.Close()
	var why map[string]string
	decodeEvent(t, appEvent(t, app, "desktop.detached"), &why)
	if why["reason"] != "session-ended" {
		t.Fatalf("desktop.detached = %v", why)
	}
	err = app.Call(ctx, "desktop.makeCall", map[string]string{"number": "1002"}, nil)
	wantDesktopReason(t, "after the page closed", err, jsonrpc.ReasonNotAttached)
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

// appEvent returns the app's next event named method.
func appEvent(t *testing.T, c *client.Client, method string) json.RawMessage {
	t.Helper()
	timeout := time.After(stateTimeout)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("the app's session closed waiting for %s", method)
			}
			if ev.Method == method {
				return ev.Params
			}
		case <-timeout:
			t.Fatalf("no %s within %v", method, stateTimeout)
		}
	}
}

func decodeEvent(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
}
