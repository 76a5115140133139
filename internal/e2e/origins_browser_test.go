//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/nativemsg/extension"
)

// callPeers starts Kamailio and baresip registered as 1002, answering
// calls on its own and playing a 440 Hz tone.
func callPeers(t *testing.T) (*siptest.Kamailio, *siptest.Baresip) {
	t.Helper()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	wav := filepath.Join(t.TempDir(), "tone.wav")
	wf, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	_ = dsp.WriteWAV(wf, 8000, 1, dsp.Sine(160000, 440, 8000, 0.3))
	wf.Close()
	return k, siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(), Source: wav})
}

// chromium starts headless Chromium with our extension in f's user
// environment; it is closed when the test ends.
func (f *fixture) chromium() browsertest.Browser {
	f.t.Helper()
	b, err := browsertest.StartChromium(f.ctx, browsertest.ChromiumOptions{Env: f.env, Extensions: []string{f.ext}, ExtensionID: extension.ChromiumID})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { b.Close() })
	return b
}

// mustDemoCall makes the demo page in p call method and returns the result;
// an error fails the test.
func mustDemoCall(t *testing.T, ctx context.Context, p browsertest.Page, method string, params any) json.RawMessage {
	t.Helper()
	res, rpcErr, err := browsertest.DemoCall(ctx, p, method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	if rpcErr != nil {
		t.Fatalf("%s: %v", method, rpcErr)
	}
	return res
}

// waitPageEvent waits, within the 30 s hang guard, for an event named name
// whose params contain want, in the demo page's log at or after from.
func waitPageEvent(t *testing.T, ctx context.Context, p browsertest.Page, name, want string, from int) browsertest.LogEntry {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		e, err := browsertest.WaitLog(ctx, p, "event", name, from, time.Until(deadline))
		if err != nil {
			t.Fatalf("page: %v", err)
		}
		if strings.Contains(string(e.Data), want) {
			return e
		}
		from = e.Index + 1
	}
	t.Fatalf("page saw no %s with %s within 30 s", name, want)
	return browsertest.LogEntry{}
}

// TestOtherOriginInBrowser: two allowed https origins in one Chromium,
// through the real extension, host and agent. Page A configures the
// phone and calls baresip; page B gets none of the call's events, nothing
// that names the number or the call, and is refused the call and the
// phone (other-origin). A reload of A still controls the call, and the
// local CLI's session can hang it up.
func TestOtherOriginInBrowser(t *testing.T) {
	t.Parallel()
	browsertest.NeedChromium(t)
	f := newFixture(t, extension.Chromium)
	ctx := f.ctx
	if err := browsertest.WriteUserPolicy(f.env, browsertest.AllowedDomain, browsertest.OtherDomain); err != nil {
		t.Fatal(err)
	}
	k, _ := callPeers(t)
	b := f.chromium()
	urlA := f.srv.URL(browsertest.AllowedDomain, "/demo.html")
	pageA := f.page(b, urlA)
	pageB := f.page(b, f.srv.URL(browsertest.OtherDomain, "/demo.html"))
	waitState(t, ctx, pageA, "connected", 0, stateTimeout)
	waitState(t, ctx, pageB, "connected", 0, stateTimeout)

	// answersB keeps what B's requests returned, beside B's own log.
	var answersB []string
	call := func(p browsertest.Page, method string, params any) (json.RawMessage, *browsertest.RPCError) {
		t.Helper()
		res, rpcErr, err := browsertest.DemoCall(ctx, p, method, params)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if p == pageB {
			answersB = append(answersB, method+" -> "+string(res)+string(mustJSON(rpcErr)))
		}
		return res, rpcErr
	}
	must := func(p browsertest.Page, method string, params any) json.RawMessage {
		t.Helper()
		if p == pageB {
			res, rpcErr := call(p, method, params)
			if rpcErr != nil {
				t.Fatalf("page B: %s: %v", method, rpcErr)
			}
			return res
		}
		return mustDemoCall(t, ctx, p, method, params)
	}

	must(pageA, "phone.configure", map[string]any{"mode": "softphone", "server": k.Addr(), "domain": "127.0.0.1",
		"username": "1001", "password": "secret1", "codecs": []string{"PCMU"}})
	must(pageA, "phone.register", nil)
	waitPageEvent(t, ctx, pageA, "registration.state", `"registered"`, 0)
	var dialed struct {
		CallID string `json:"callId"`
	}
	json.Unmarshal(must(pageA, "call.dial", map[string]string{"to": "1002"}), &dialed)
	waitPageEvent(t, ctx, pageA, "call.state", `"connected"`, 0)

	for _, req := range []struct {
		method string
		params any
	}{
		{"call.hangup", map[string]string{"callId": dialed.CallID}},
		{"call.dial", map[string]string{"to": "1003"}},
		{"phone.configure", map[string]any{"server": k.Addr(), "domain": "127.0.0.1", "username": "1003", "password": "secret3"}},
	} {
		if _, rpcErr := call(pageB, req.method, req.params); rpcErr == nil || rpcErr.Code != -32010 || rpcErr.Data["reason"] != "other-origin" {
			t.Errorf("page B: %s: %v, want -32010 other-origin", req.method, rpcErr)
		}
	}
	var stB map[string]any
	json.Unmarshal(must(pageB, "phone.status", nil), &stB)
	if stB["control"] != false || stB["calls"] != nil {
		t.Errorf("page B's phone.status: %v, want control false and no calls", stB)
	}

	// A reload: a new session of the same origin holds the call.
	if err := pageA.Navigate(ctx, urlA); err != nil {
		t.Fatal(err)
	}
	waitState(t, ctx, pageA, "connected", 0, stateTimeout)
	if st := string(must(pageA, "phone.status", nil)); !strings.Contains(st, dialed.CallID) {
		t.Errorf("the reloaded page A's phone.status has no call %s: %s", dialed.CallID, st)
	}
	must(pageA, "call.hold", map[string]string{"callId": dialed.CallID})
	waitPageEvent(t, ctx, pageA, "call.state", `"held"`, 0)

	// The user's CLI still controls the page's call.
	cli, _, err := browsertest.Dial(ctx, f.env, "bpclient-cli")
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := cli.Call(cctx, "call.hangup", map[string]string{"callId": dialed.CallID}, nil); err != nil {
		t.Fatalf("the CLI's call.hangup: %v", err)
	}
	waitPageEvent(t, ctx, pageA, "call.state", `"ended"`, 0)

	// Page B's whole log: its events arrive in order, so a ping answered
	// after the call ended comes after anything the call sent B.
	must(pageB, "helper.ping", nil)
	logB, err := browsertest.DemoLog(ctx, pageB)
	if err != nil {
		t.Fatal(err)
	}
	frames := answersB
	for _, e := range logB {
		if e.Kind == "request" {
			continue // what B sent, with its answer, which answersB has
		}
		frames = append(frames, e.String())
		if e.Kind == "event" && (strings.HasPrefix(e.Name, "call.") || strings.HasPrefix(e.Name, "quality.") ||
			e.Name == "registration.state" || e.Name == "network.issue") {
			t.Errorf("page B got %s", e)
		}
	}
	for _, fr := range frames {
		for _, leak := range []string{dialed.CallID, "sip:", "1001@", "1002@", `"1001"`, `"1002"`} {
			if strings.Contains(fr, leak) {
				t.Errorf("page B got %q: %s", leak, fr)
			}
		}
	}
	if t.Failed() {
		t.Logf("page B:\n%s", strings.Join(frames, "\n"))
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
