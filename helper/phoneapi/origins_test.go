package phoneapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/audioapi"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
	"github.com/openbpclient/bpclient/sip/echo"
)

const (
	originA = "https://agent.example.test"
	originB = "https://crm.example.test"
	ourExt  = "chrome-extension://" + policy.ChromiumExtensionID + "/"
)

// agentWithPhone runs an agent in-process with a phone service of opts
// whose events go through it, on a private socket, admitting the origins
// above; it returns the service and the socket's address. more makes
// further services beside the phone.
func agentWithPhone(t *testing.T, opts phoneapi.Options, more ...func(*agent.Server, *phoneapi.Service) agent.Service) (*phoneapi.Service, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "pho") // short: a socket path has 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	store := &policy.Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user.json")}
	if err := os.WriteFile(store.AdminFile, []byte(`{"domains":["agent.example.test","crm.example.test"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := ipc.Listen(filepath.Join(dir, "run", "agent.sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := agent.New(agent.Options{Policy: store, Logger: zerolog.Nop()})
	opts.Events = srv
	svc := phoneapi.New(opts)
	t.Cleanup(svc.Close)
	if err := srv.Register(svc); err != nil {
		t.Fatal(err)
	}
	for _, f := range more {
		if err := srv.Register(f(srv, svc)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("agent did not stop within 30 s")
		}
	})
	return svc, ln.Addr().String()
}

// session is one client of the agent that keeps every frame it gets:
// events as they come, and the answers to its requests.
type session struct {
	t    *testing.T
	name string
	c    *client.Client

	mu     sync.Mutex
	frames []string
	events []client.Event
	heard  chan struct{} // a new event arrived
	ended  chan struct{} // the client closed and every event was kept
}

// open dials the agent at addr; origin "" is a local client (the CLI).
func open(t *testing.T, addr, name, origin string) *session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &session{t: t, name: name, c: c, heard: make(chan struct{}, 1), ended: make(chan struct{})}
	go s.keepEvents()
	t.Cleanup(s.close)
	hello := map[string]any{"client": name}
	if origin != "" {
		if err := c.Notify("relay.identify", map[string]any{"browser": "chromium", "extension": ourExt}); err != nil {
			t.Fatal(err)
		}
		hello["pageOrigin"] = origin
	}
	if _, jerr := s.call("helper.hello", hello); jerr != nil {
		t.Fatalf("%s: hello: %v", name, jerr)
	}
	return s
}

// keepEvents ends when the client closes, after the last event.
func (s *session) keepEvents() {
	defer close(s.ended)
	for ev := range s.c.Events() {
		s.mu.Lock()
		s.events = append(s.events, ev)
		s.frames = append(s.frames, ev.Method+" "+string(ev.Params))
		s.mu.Unlock()
		select {
		case s.heard <- struct{}{}:
		default:
		}
	}
}

func (s *session) close() {
	s.c.Close()
	<-s.ended
}

// call sends a request and keeps its answer among the frames.
func (s *session) call(method string, params any) (json.RawMessage, *jsonrpc.Error) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var res json.RawMessage
	err := s.c.Call(ctx, method, params, &res)
	var jerr *jsonrpc.Error
	if err != nil && !errors.As(err, &jerr) {
		s.t.Fatalf("%s: %s: %v", s.name, method, err)
	}
	s.mu.Lock()
	s.frames = append(s.frames, method+" -> "+string(res)+string(mustJSON(jerr)))
	s.mu.Unlock()
	return res, jerr
}

func (s *session) must(method string, params any) json.RawMessage {
	s.t.Helper()
	res, jerr := s.call(method, params)
	if jerr != nil {
		s.t.Fatalf("%s: %s: %s", s.name, method, mustJSON(jerr))
	}
	return res
}

// waitEvent waits, within the 30 s hang guard, for an event named method
// whose params contain want, among those after the first `from`.
func (s *session) waitEvent(method, want string, from int) int {
	s.t.Helper()
	guard := time.After(30 * time.Second)
	for i := from; ; {
		s.mu.Lock()
		for ; i < len(s.events); i++ {
			if s.events[i].Method == method && strings.Contains(string(s.events[i].Params), want) {
				s.mu.Unlock()
				return i + 1
			}
		}
		s.mu.Unlock()
		select {
		case <-s.heard:
		case <-s.ended:
			s.t.Fatalf("%s: closed before a %s with %s", s.name, method, want)
		case <-guard:
			s.t.Fatalf("%s: no %s with %s within 30 s", s.name, method, want)
		}
	}
}

func wantOtherOrigin(t *testing.T, who, method string, jerr *jsonrpc.Error) {
	t.Helper()
	if jerr == nil {
		t.Errorf("%s: %s was carried out, want -32010 %s", who, method, jsonrpc.ReasonOtherOrigin)
		return
	}
	if d, _ := jerr.Data.(map[string]any); jerr.Code != jsonrpc.CodePhone || d["reason"] != jsonrpc.ReasonOtherOrigin {
		t.Errorf("%s: %s: %s, want -32010 %s", who, method, mustJSON(jerr), jsonrpc.ReasonOtherOrigin)
	}
}

// TestOtherOriginSeesNoCalls: page A configures the phone and calls
// baresip; page B, another allowed origin, gets no call or registration
// event, nothing that names a number or the call, and cannot hang up,
// dial or take the phone. A reload of A (a new session, same origin) still
// controls the call, and so does the local CLI.
func TestOtherOriginSeesNoCalls(t *testing.T) {
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	wav := filepath.Join(t.TempDir(), "tone.wav")
	f, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	_ = dsp.WriteWAV(f, 8000, 1, dsp.Sine(80000, 440, 8000, 0.3))
	f.Close()
	siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(), Source: wav})
	_, addr := agentWithPhone(t, phoneapi.Options{Logger: zerolog.Nop()})

	a := open(t, addr, "page-a", originA)
	b := open(t, addr, "page-b", originB)
	local := open(t, addr, "bpclient-cli", "")

	a.must("phone.configure", map[string]any{"server": k.Addr(), "domain": "127.0.0.1", "username": "1001",
		"password": "secret1", "codecs": []string{"PCMU"}})
	a.must("phone.register", nil)
	a.waitEvent(sip.EventRegistrationState, `"registered"`, 0)
	var dialed struct {
		CallID string `json:"callId"`
	}
	json.Unmarshal(a.must("call.dial", map[string]string{"to": "1002"}), &dialed)
	a.waitEvent(sip.EventCallState, `"connected"`, 0)

	var st map[string]any
	json.Unmarshal(b.must("phone.status", nil), &st)
	if st["configured"] != true || st["ownerOrigin"] != originA || st["control"] != false || len(st) != 3 {
		t.Errorf("page B's phone.status: %v, want only configured, ownerOrigin %s, control false", st, originA)
	}
	b.must("helper.status", nil)
	for _, req := range []struct {
		method string
		params any
	}{
		{"call.hangup", map[string]string{"callId": dialed.CallID}},
		{"call.hold", map[string]string{"callId": dialed.CallID}},
		{"call.dtmf", map[string]string{"callId": dialed.CallID, "digits": "1"}},
		{"call.dial", map[string]string{"to": "1003"}},
		{"phone.register", nil},
		{"phone.unregister", nil},
		{"phone.configure", map[string]any{"server": k.Addr(), "domain": "127.0.0.1", "username": "1003", "password": "secret3"}},
	} {
		_, jerr := b.call(req.method, req.params)
		wantOtherOrigin(t, "page B", req.method, jerr)
	}

	// A reload: the old session goes, a new one of the same origin takes
	// the call over.
	a.close()
	a2 := open(t, addr, "page-a-reloaded", originA)
	if st := string(a2.must("phone.status", nil)); !strings.Contains(st, dialed.CallID) || !strings.Contains(st, `"control":true`) {
		t.Errorf("the reloaded page's phone.status: %s", st)
	}
	a2.must("call.hold", map[string]string{"callId": dialed.CallID})
	a2.waitEvent(sip.EventCallState, `"held"`, 0)
	n := local.waitEvent(sip.EventCallState, `"held"`, 0)
	local.must("call.resume", map[string]string{"callId": dialed.CallID})
	local.waitEvent(sip.EventCallState, `"connected"`, n)
	a2.must("call.hangup", map[string]string{"callId": dialed.CallID})
	a2.waitEvent(sip.EventCallState, `"ended"`, 0)

	// Every event queued for B before this answer reached B before it.
	b.must("helper.ping", nil)
	b.close()
	for _, f := range b.frames {
		for _, leak := range []string{dialed.CallID, "sip:", "1001@", "1002@", `"1001"`, `"1002"`, "127.0.0.1"} {
			if strings.Contains(f, leak) {
				t.Errorf("page B got %q: %s", leak, f)
			}
		}
	}
	for _, ev := range b.events {
		switch {
		case strings.HasPrefix(ev.Method, "call."), strings.HasPrefix(ev.Method, "quality."),
			ev.Method == sip.EventRegistrationState, ev.Method == sip.EventNetworkIssue:
			t.Errorf("page B got %s %s", ev.Method, ev.Params)
		}
	}
	if t.Failed() {
		t.Logf("page B's frames:\n%s", strings.Join(b.frames, "\n"))
	}
}

// TestPhoneOwnership: who may configure the phone when one exists. Its
// owner may, and the user's own clients may take it over; another origin
// may not, unless the owner released it (phone.unregister) or the user's
// clients configured it. Each phone's events go to its owner only.
func TestPhoneOwnership(t *testing.T) {
	echoServer, err := echo.Start("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { echoServer.Close() })
	cfg := echoServer.DemoConfig()
	configure := map[string]any{"server": cfg.Server, "domain": cfg.Domain, "username": cfg.Username, "password": cfg.Password}
	_, addr := agentWithPhone(t, phoneapi.Options{Logger: zerolog.Nop()})
	a := open(t, addr, "page-a", originA)
	b := open(t, addr, "page-b", originB)
	local := open(t, addr, "bpclient-cli", "")
	statusOf := func(s *session) map[string]any {
		t.Helper()
		var st map[string]any
		json.Unmarshal(s.must("phone.status", nil), &st)
		var helper struct {
			Phone map[string]any `json:"phone"`
		}
		json.Unmarshal(s.must("helper.status", nil), &helper)
		if string(mustJSON(helper.Phone)) != string(mustJSON(st)) {
			t.Errorf("%s: helper.status's phone %v differs from phone.status %v", s.name, helper.Phone, st)
		}
		return st
	}
	if st := statusOf(b); st["configured"] != false || st["control"] != true {
		t.Errorf("no phone yet: B's status %v", st)
	}

	a.must("phone.configure", configure)
	_, jerr := b.call("phone.configure", configure)
	wantOtherOrigin(t, "page B", "phone.configure over A's phone", jerr)

	// The user takes the phone over: no page controls it now, but a page
	// may claim it back.
	local.must("phone.configure", configure)
	if st := statusOf(a); st["configured"] != true || st["control"] != false || st["ownerOrigin"] != nil {
		t.Errorf("a phone the CLI configured, as page A sees it: %v", st)
	}
	_, jerr = a.call("call.dial", map[string]string{"to": echoServer.Target()})
	wantOtherOrigin(t, "page A", "call.dial on the CLI's phone", jerr)
	a.must("phone.configure", configure)
	_, jerr = b.call("phone.configure", configure)
	wantOtherOrigin(t, "page B", "phone.configure over A's claimed phone", jerr)

	// A registers, then lets go: B may configure its own, and A hears
	// nothing of B's phone.
	a.must("phone.register", nil)
	a.waitEvent(sip.EventRegistrationState, `"registered"`, 0)
	a.must("phone.unregister", nil)
	a.must("helper.ping", nil)
	a.mu.Lock()
	seen := len(a.events)
	a.mu.Unlock()
	b.must("phone.configure", configure)
	b.must("phone.register", nil)
	b.waitEvent(sip.EventRegistrationState, `"registered"`, 0)
	if st := statusOf(a); st["ownerOrigin"] != originB || st["control"] != false {
		t.Errorf("B's phone as page A sees it: %v", st)
	}
	if st := statusOf(b); st["ownerOrigin"] != originB || st["control"] != true || st["username"] != cfg.Username {
		t.Errorf("B's phone as page B sees it: %v", st)
	}
	a.must("helper.ping", nil)
	a.mu.Lock()
	for _, ev := range a.events[seen:] {
		if ev.Method == sip.EventRegistrationState && strings.Contains(string(ev.Params), `"registered"`) {
			t.Errorf("page A heard B's registration: %s", ev.Params)
		}
	}
	a.mu.Unlock()
	_, jerr = a.call("phone.configure", configure)
	wantOtherOrigin(t, "page A", "phone.configure over B's registered phone", jerr)
	local.waitEvent(sip.EventRegistrationState, `"registered"`, 0)
}

// TestSoundDevicesFollowThePhone: once page A configured the phone, page B
// may still list the sound devices but not choose them or sound a test
// (it would move A's call to another microphone); A and the user may.
func TestSoundDevicesFollowThePhone(t *testing.T) {
	echoServer, err := echo.Start("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { echoServer.Close() })
	cfg := echoServer.DemoConfig()
	_, addr := agentWithPhone(t, phoneapi.Options{Logger: zerolog.Nop()},
		func(srv *agent.Server, phone *phoneapi.Service) agent.Service {
			return audioapi.New(audioapi.Options{ConfigDir: t.TempDir(), Events: srv, Logger: zerolog.Nop(), MayChange: phone.Controls})
		})
	a := open(t, addr, "page-a", originA)
	b := open(t, addr, "page-b", originB)
	local := open(t, addr, "bpclient-cli", "")
	sel := map[string]any{"ringer": []string{}}
	b.must("audio.select", sel) // no phone yet: anyone
	a.must("phone.configure", map[string]any{"server": cfg.Server, "domain": cfg.Domain, "username": cfg.Username, "password": cfg.Password})
	for _, method := range []string{"audio.select", "audio.test"} {
		_, jerr := b.call(method, sel)
		if d, _ := jerr.Data.(map[string]any); jerr == nil || jerr.Code != jsonrpc.CodeAudio || d["reason"] != jsonrpc.ReasonOtherOrigin {
			t.Errorf("page B: %s over A's phone: %s, want %d %s", method, mustJSON(jerr), jsonrpc.CodeAudio, jsonrpc.ReasonOtherOrigin)
		}
	}
	if _, jerr := b.call("audio.devices", nil); jerr != nil && jerr.Code != jsonrpc.CodeAudio {
		t.Errorf("page B: audio.devices: %s, want the list or 'unavailable'", mustJSON(jerr))
	}
	a.must("audio.select", sel)
	local.must("audio.select", sel)
}
