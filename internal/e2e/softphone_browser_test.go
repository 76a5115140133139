//go:build linux

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg/extension"
)

// TestPageAnswersIncomingCall drives the softphone from the demo Agent
// Desktop page in headless Chromium, through the real extension, host and
// agent: the page configures and registers the phone, baresip calls it,
// the page sees call.incoming and answers with call.answer, then hangs up.
func TestPageAnswersIncomingCall(t *testing.T) {
	t.Parallel()
	browsertest.NeedChromium(t)
	f := newFixture(t, extension.Chromium)
	ctx := f.ctx
	k, bs := callPeers(t)
	b := f.chromium()
	page := f.page(b, f.srv.URL(browsertest.AllowedDomain, "/demo.html"))
	waitState(t, ctx, page, "connected", 0, stateTimeout)

	call := func(method string, params any) json.RawMessage {
		t.Helper()
		return mustDemoCall(t, ctx, page, method, params)
	}
	// waitEvent waits for an event whose params contain want.
	waitEvent := func(name, want string) browsertest.LogEntry {
		t.Helper()
		return waitPageEvent(t, ctx, page, name, want, 0)
	}

	call("phone.configure", map[string]any{"mode": "softphone", "server": k.Addr(), "domain": "127.0.0.1",
		"username": "1001", "password": "secret1", "codecs": []string{"PCMU"}})
	call("phone.register", nil)
	waitEvent("registration.state", `"registered"`)

	if _, err := bs.Command("dial", "sip:1001@"+k.Addr()); err != nil {
		t.Fatal(err)
	}
	in := waitEvent("call.incoming", `"callId"`)
	var inc struct {
		CallID string `json:"callId"`
		From   string `json:"from"`
	}
	if err := in.Decode(&inc); err != nil || inc.CallID == "" || !strings.Contains(inc.From, "1002") {
		t.Fatalf("call.incoming %s (%v)", in.Data, err)
	}
	call("call.answer", map[string]string{"callId": inc.CallID})
	waitEvent("call.state", `"connected"`)
	if !bs.WaitLog("Call established", 5*time.Second) {
		t.Errorf("baresip: the call was not established")
	}
	var st struct {
		Calls []struct {
			CallID string `json:"callId"`
			State  string `json:"state"`
		} `json:"calls"`
	}
	_ = json.Unmarshal(call("phone.status", nil), &st)
	if len(st.Calls) != 1 || st.Calls[0].State != "connected" {
		t.Errorf("phone.status calls %+v", st.Calls)
	}
	call("call.hangup", map[string]string{"callId": inc.CallID})
	waitEvent("call.state", `"ended"`)
	call("phone.unregister", nil)
}
