//go:build linux

package e2e

import (
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

// TestPageAnswersIncomingCall drives the softphone from the demo Agent
// Desktop page in headless Chromium, through the real extension, host and
// agent: the page configures and registers the phone, baresip calls it,
// the page sees call.incoming and answers with call.answer, then hangs up.
func TestPageAnswersIncomingCall(t *testing.T) {
	t.Parallel()
	if _, err := browsertest.FindChromium(); err != nil {
		t.Skip(err)
	}
	f := newFixture(t, extension.Chromium)
	ctx := f.ctx
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	wav := filepath.Join(t.TempDir(), "tone.wav")
	wf, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	_ = dsp.WriteWAV(wf, 8000, 1, dsp.Sine(160000, 440, 8000, 0.3))
	wf.Close()
	bs := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(), Source: wav})

	b, err := browsertest.StartChromium(ctx, browsertest.ChromiumOptions{Env: f.env, Extensions: []string{f.ext}, ExtensionID: extension.ChromiumID})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	page := f.page(b, f.srv.URL(browsertest.AllowedDomain, "/demo.html"))
	waitState(t, ctx, page, "connected", 0, stateTimeout)

	call := func(method string, params any) json.RawMessage {
		t.Helper()
		res, rpcErr, err := browsertest.DemoCall(ctx, page, method, params)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if rpcErr != nil {
			t.Fatalf("%s: %v", method, rpcErr)
		}
		return res
	}
	// waitEvent waits for an event whose params contain want.
	waitEvent := func(name, want string) browsertest.LogEntry {
		t.Helper()
		from := 0
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			e, err := browsertest.WaitLog(ctx, page, "event", name, from, time.Until(deadline))
			if err != nil {
				t.Fatalf("page: %v", err)
			}
			if strings.Contains(string(e.Data), want) {
				return e
			}
			from = e.Index + 1
		}
		t.Fatalf("page saw no %s with %s", name, want)
		return browsertest.LogEntry{}
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
