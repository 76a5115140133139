package phoneapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/internal/siptest"
)

// recorder is a Broadcaster that keeps every event as JSON.
type recorder struct {
	mu     sync.Mutex
	events []string
	ch     chan string
}

func (r *recorder) Broadcast(event string, params any) {
	b, _ := json.Marshal(map[string]any{"method": event, "params": params})
	r.mu.Lock()
	r.events = append(r.events, string(b))
	r.mu.Unlock()
	r.ch <- string(b)
}

// BroadcastTo records events for any audience: who gets them is the
// agent's fan-out, tested with real sessions (origins_test.go).
func (r *recorder) BroadcastTo(_ agent.Audience, event string, params any) {
	r.Broadcast(event, params)
}

func (r *recorder) wait(t *testing.T, substr string, within time.Duration) string {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case e := <-r.ch:
			if strings.Contains(e, substr) {
				return e
			}
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("no event with %q within %v; saw %v", substr, within, r.events)
		}
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func invoke(t *testing.T, svc *phoneapi.Service, method string, params any) (json.RawMessage, *jsonrpc.Error) {
	t.Helper()
	m := svc.Methods()[method]
	if m == nil {
		t.Fatalf("no method %s", method)
	}
	raw, _ := json.Marshal(params)
	res, jerr := m(context.Background(), &agent.Call{Params: raw, Kind: "page", PageOrigin: "https://agent.example.test", SessionID: "s1"})
	if jerr != nil {
		return nil, jerr
	}
	b, _ := json.Marshal(res)
	return b, nil
}

// dial places a call through the API and returns its callId.
func dial(t *testing.T, svc *phoneapi.Service, to string) string {
	t.Helper()
	var r struct {
		CallID string `json:"callId"`
	}
	if err := json.Unmarshal(mustInvoke(t, svc, "call.dial", map[string]string{"to": to}), &r); err != nil || r.CallID == "" {
		t.Fatalf("call.dial %s: %v %+v", to, err, r)
	}
	return r.CallID
}

func mustInvoke(t *testing.T, svc *phoneapi.Service, method string, params any) json.RawMessage {
	t.Helper()
	b, jerr := invoke(t, svc, method, params)
	if jerr != nil {
		t.Fatalf("%s: %v", method, jerr)
	}
	return b
}

// TestRegistrationAndCallKeepSecrets drives a whole registration and call
// through the API methods, then looks for the password and the digest in
// the log, the events and the status.
func TestRegistrationAndCallKeepSecrets(t *testing.T) {
	const password = "pw-Unique-7f3a91"
	k := siptest.StartKamailio(t, siptest.KamailioOptions{Users: []siptest.User{{Name: "1001", Password: password}, {Name: "1002", Password: "secret2"}}})
	wav := filepath.Join(t.TempDir(), "tone.wav")
	f, _ := os.Create(wav)
	_ = dsp.WriteWAV(f, 8000, 1, dsp.Sine(80000, 440, 8000, 0.3))
	f.Close()
	b := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.User{Name: "1002", Password: "secret2"}, Registrar: k.Addr(), Source: wav})

	logBuf := &syncBuf{}
	ev := &recorder{ch: make(chan string, 1024)}
	svc := phoneapi.New(phoneapi.Options{Logger: zerolog.New(logBuf).Level(zerolog.DebugLevel), Events: ev})
	t.Cleanup(svc.Close)

	if _, jerr := invoke(t, svc, "phone.register", nil); jerr == nil || jerr.Code != jsonrpc.CodePhone {
		t.Fatalf("register before configure: %v", jerr)
	}
	if _, jerr := invoke(t, svc, "phone.configure", map[string]any{"mode": "softphone", "server": "", "username": "1001"}); jerr == nil || jerr.Code != jsonrpc.CodeInvalidParams {
		t.Fatalf("configure without server: %v", jerr)
	}
	mustInvoke(t, svc, "phone.configure", map[string]any{"mode": "softphone", "server": k.Addr(), "transport": "udp",
		"domain": "127.0.0.1", "username": "1001", "password": password, "displayName": "Agent 7", "codecs": []string{"PCMA", "PCMU"}})
	mustInvoke(t, svc, "phone.register", nil)
	ev.wait(t, `"state":"registered"`, 10*time.Second)

	callID := dial(t, svc, "1002")
	ev.wait(t, `"state":"connected"`, 10*time.Second)
	mustInvoke(t, svc, "call.mute", map[string]string{"callId": callID})
	mustInvoke(t, svc, "call.unmute", map[string]string{"callId": callID})
	mustInvoke(t, svc, "call.dtmf", map[string]string{"callId": callID, "digits": "42"})
	mustInvoke(t, svc, "call.hold", map[string]string{"callId": callID})
	ev.wait(t, `"state":"held"`, 5*time.Second)
	mustInvoke(t, svc, "call.resume", map[string]string{"callId": callID})
	ev.wait(t, `"quality.report"`, 8*time.Second)
	st := mustInvoke(t, svc, "phone.status", nil)
	if !strings.Contains(string(st), callID) || !strings.Contains(string(st), `"registered"`) {
		t.Errorf("status: %s", st)
	}
	if _, jerr := invoke(t, svc, "call.hold", map[string]string{"callId": "nope"}); jerr == nil || !strings.Contains(string(mustJSON(jerr)), "no-such-call") {
		t.Errorf("unknown call: %v", jerr)
	}
	// call.transfer: "to" or "targetCallId", never both or neither; an
	// attended transfer needs a second call.
	for _, tc := range []struct {
		params map[string]string
		want   string
	}{
		{map[string]string{"callId": callID, "to": "1003", "targetCallId": "x"}, `"code":-32602`},
		{map[string]string{"callId": callID}, `"code":-32602`},
		{map[string]string{"callId": callID, "targetCallId": "nope"}, "no-such-call"},
		{map[string]string{"callId": callID, "targetCallId": callID}, "wrong-state"},
	} {
		if _, jerr := invoke(t, svc, "call.transfer", tc.params); jerr == nil || !strings.Contains(string(mustJSON(jerr)), tc.want) {
			t.Errorf("call.transfer %v: %s, want %s", tc.params, mustJSON(jerr), tc.want)
		}
	}
	mustInvoke(t, svc, "call.hangup", map[string]string{"callId": callID})
	ev.wait(t, `"state":"ended"`, 5*time.Second)
	mustInvoke(t, svc, "phone.unregister", nil)
	if !b.WaitLog("received event: '4' (end=1)", 2*time.Second) {
		t.Errorf("baresip did not get the DTMF")
	}

	ev.mu.Lock()
	all := strings.Join(ev.events, "\n")
	ev.mu.Unlock()
	logText := logBuf.String()
	for name, text := range map[string]string{"log": logText, "events": all, "status": string(st)} {
		for _, secret := range []string{password, "response=", "Authorization", "nonce="} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains %q", name, secret)
			}
		}
	}
	if !strings.Contains(logText, "call connected") || !strings.Contains(logText, `"registered"`) {
		t.Errorf("the log does not cover the call:\n%s", logText)
	}
	checkWhoAskedAndQuality(t, logText, callID)
}

// checkWhoAskedAndQuality: a grep of the call id finds who placed and
// hung up the call (the page's session and origin) and its quality
// reports, and no request line holds the DTMF digits.
func checkWhoAskedAndQuality(t *testing.T, logText, callID string) {
	t.Helper()
	methods := map[string]bool{}
	quality := 0
	for _, line := range strings.Split(logText, "\n") {
		var l struct {
			Call, Message, Method, Session, Origin, Kind string
			MOS                                          *float64 `json:"mos"`
		}
		if json.Unmarshal([]byte(line), &l) != nil || l.Call != callID {
			continue
		}
		switch l.Message {
		case "call request":
			if l.Session != "s1" || l.Origin != "https://agent.example.test" || l.Kind != "page" {
				t.Errorf("a call request without the page that asked: %s", line)
			}
			if strings.Contains(line, "digits") || strings.Contains(line, `"42"`) {
				t.Errorf("a call request line holds the DTMF digits: %s", line)
			}
			methods[l.Method] = true
		case "quality":
			if l.MOS == nil {
				t.Errorf("a quality line without MOS: %s", line)
			}
			quality++
		}
	}
	for _, m := range []string{"call.dial", "call.mute", "call.dtmf", "call.hold", "call.hangup"} {
		if !methods[m] {
			t.Errorf("no call request line for %s with call %s", m, callID)
		}
	}
	if quality == 0 {
		t.Errorf("no quality line for call %s", callID)
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

type fakeRinger struct {
	mu           sync.Mutex
	rings, stops int
}

func (f *fakeRinger) Ring(clip []int16, rate int, loop bool) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rings++
	return []string{"a", "b"}, nil
}

func (f *fakeRinger) StopRing() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops++
}

func (f *fakeRinger) counts() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rings, f.stops
}

// TestInboundRingsAndAnswers: a call from baresip rings the ringer until
// the page answers it through call.answer.
func TestInboundRingsAndAnswers(t *testing.T) {
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	wav := filepath.Join(t.TempDir(), "tone.wav")
	f, _ := os.Create(wav)
	_ = dsp.WriteWAV(f, 8000, 1, dsp.Sine(80000, 440, 8000, 0.3))
	f.Close()
	b := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(), Source: wav})
	ev := &recorder{ch: make(chan string, 1024)}
	ring := &fakeRinger{}
	svc := phoneapi.New(phoneapi.Options{Logger: zerolog.Nop(), Events: ev, Ringer: ring})
	t.Cleanup(svc.Close)
	mustInvoke(t, svc, "phone.configure", map[string]any{"server": k.Addr(), "domain": "127.0.0.1", "username": "1001", "password": "secret1"})
	mustInvoke(t, svc, "phone.register", nil)
	ev.wait(t, `"state":"registered"`, 10*time.Second)
	if _, err := b.Command("dial", "sip:1001@"+k.Addr()); err != nil {
		t.Fatal(err)
	}
	in := ev.wait(t, `"method":"call.incoming"`, 10*time.Second)
	var msg struct {
		Params struct {
			CallID string `json:"callId"`
		} `json:"params"`
	}
	_ = json.Unmarshal([]byte(in), &msg)
	if r, s := ring.counts(); r != 1 || s != 0 {
		t.Fatalf("while ringing: %d rings, %d stops", r, s)
	}
	mustInvoke(t, svc, "call.answer", map[string]string{"callId": msg.Params.CallID})
	ev.wait(t, `"state":"connected"`, 5*time.Second)
	if r, s := ring.counts(); r != 1 || s != 1 {
		t.Fatalf("after answer: %d rings, %d stops", r, s)
	}
	if !b.WaitLog("Call established", 3*time.Second) {
		t.Error("baresip: no call established")
	}
	// Call waiting: a second call while the first is up is announced but
	// does not ring the ringers; answering it holds the first.
	b3 := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[2], Registrar: k.Addr(), Source: wav})
	if _, err := b3.Command("dial", "sip:1001@"+k.Addr()); err != nil {
		t.Fatal(err)
	}
	in2 := ev.wait(t, `"method":"call.incoming"`, 10*time.Second)
	var msg2 struct {
		Params struct {
			CallID string `json:"callId"`
		} `json:"params"`
	}
	_ = json.Unmarshal([]byte(in2), &msg2)
	if r, s := ring.counts(); r != 1 || s != 1 {
		t.Errorf("a waiting call rang the ringers: %d rings, %d stops", r, s)
	}
	mustInvoke(t, svc, "call.answer", map[string]string{"callId": msg2.Params.CallID})
	ev.wait(t, `"state":"held"`, 5*time.Second)
	ev.wait(t, `"state":"connected"`, 5*time.Second)
	mustInvoke(t, svc, "call.hangup", map[string]string{"callId": msg2.Params.CallID})
	mustInvoke(t, svc, "call.hangup", map[string]string{"callId": msg.Params.CallID})
	ev.wait(t, `"state":"ended"`, 5*time.Second)
}
