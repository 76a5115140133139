package agent

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/version"
)

type env struct {
	addr  string
	store *policy.Store
	srv   *Server
	stop  func()
}

func startAgent(t *testing.T) *env { return startAgentWith(t) }

func startAgentWith(t *testing.T, services ...Service) *env {
	t.Helper()
	return startAgentOpts(t, Options{}, services...)
}

// startAgentOpts starts an agent with opts, its policy and logger set here.
func startAgentOpts(t *testing.T, opts Options, services ...Service) *env {
	t.Helper()
	dir, err := os.MkdirTemp("", "agt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	store := &policy.Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user.json")}
	os.WriteFile(store.AdminFile, []byte(`{"domains":["agent.example.test","*.cc.example.test"],"usersCanManageDomains":true}`), 0o600)
	addr := filepath.Join(dir, "run", "agent.sock")
	if runtime.GOOS == "windows" {
		addr = `\\.\pipe\bpclient-agent-test-` + filepath.Base(dir)
	}
	ln, err := ipc.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	opts.Policy, opts.Logger = store, zerolog.Nop()
	srv := New(opts)
	for _, svc := range services {
		if err := srv.Register(svc); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("agent did not stop within 5 s")
		}
	}
	t.Cleanup(stop)
	return &env{addr: addr, store: store, srv: srv, stop: stop}
}

func (e *env) dial(t *testing.T) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func call(t *testing.T, c *client.Client, method string, params any, result any) *jsonrpc.Error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.Call(ctx, method, params, result)
	if err == nil {
		return nil
	}
	var rerr *jsonrpc.Error
	if !errors.As(err, &rerr) {
		t.Fatalf("%s: %v", method, err)
	}
	return rerr
}

func wantCode(t *testing.T, what string, err *jsonrpc.Error, code int) {
	t.Helper()
	if err == nil || err.Code != code {
		t.Fatalf("%s: got %v, want code %d", what, err, code)
	}
}

func dataOf(err *jsonrpc.Error) map[string]any {
	m, _ := err.Data.(map[string]any)
	return m
}

func identify(t *testing.T, c *client.Client, ext string) {
	t.Helper()
	if err := c.Notify("relay.identify", map[string]any{"browser": "chromium", "extension": ext}); err != nil {
		t.Fatal(err)
	}
}

const ourExt = "chrome-extension://" + policy.ChromiumExtensionID + "/"

func TestHelloRequiredFirst(t *testing.T) {
	e := startAgent(t)
	c := e.dial(t)
	wantCode(t, "status before hello", call(t, c, "helper.status", nil, nil), jsonrpc.CodeHelloRequired)
	var res helloResult
	if err := call(t, c, "helper.hello", map[string]any{"client": "test", "clientVersion": "1"}, &res); err != nil {
		t.Fatal(err)
	}
	if res.HelperVersion != version.Version || res.ProtocolVersion != version.Protocol || res.OS != runtime.GOOS || len(res.Capabilities) == 0 {
		t.Fatalf("hello result %+v", res)
	}
	var st statusResult
	if err := call(t, c, "helper.status", nil, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Clients) != 1 || st.Clients[0].Kind != kindLocal || st.Clients[0].Client != "test" || st.PID != os.Getpid() {
		t.Fatalf("status %+v", st)
	}
	wantCode(t, "unknown method", call(t, c, "helper.nope", nil, nil), jsonrpc.CodeMethodNotFound)
	wantCode(t, "wrong type", call(t, c, "helper.hello", map[string]any{"client": 5}, nil), jsonrpc.CodeInvalidParams)
}

func TestUpdateRequired(t *testing.T) {
	e := startAgent(t)
	c := e.dial(t)
	err := call(t, c, "helper.hello", map[string]any{"minHelperVersion": "999.0.0"}, nil)
	wantCode(t, "old helper", err, jsonrpc.CodeUpdateRequired)
	if d := dataOf(err); d["helperVersion"] != version.Version || d["minHelperVersion"] != "999.0.0" {
		t.Fatalf("data %v", d)
	}
	wantCode(t, "bad version", call(t, c, "helper.hello", map[string]any{"minHelperVersion": "x"}, nil), jsonrpc.CodeInvalidParams)
	if err := call(t, c, "helper.hello", map[string]any{"minHelperVersion": "0.0.1"}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestOrigins(t *testing.T) {
	e := startAgent(t)
	tests := []struct {
		origin string
		reason string
		canAsk bool
	}{
		{"https://agent.example.test", "", false},
		{"https://x.cc.example.test:8443", "", false},
		{"http://agent.example.test", jsonrpc.ReasonOriginNotHTTPS, false},
		{"https://evil.test", jsonrpc.ReasonOriginNotAllowed, true},
		{"javascript:alert(1)", jsonrpc.ReasonOriginInvalid, false},
		{"https://a/b", jsonrpc.ReasonOriginInvalid, false},
	}
	for _, tt := range tests {
		c := e.dial(t)
		identify(t, c, ourExt)
		err := call(t, c, "helper.hello", map[string]any{"pageOrigin": tt.origin}, nil)
		if tt.reason == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.origin, err)
			}
			continue
		}
		if err == nil || err.Code != jsonrpc.CodeNotAllowed || dataOf(err)["reason"] != tt.reason || dataOf(err)["canAsk"] != tt.canAsk {
			t.Errorf("%s: got %v %v, want %s canAsk=%v", tt.origin, err, dataOf(err), tt.reason, tt.canAsk)
		}
		// Refused pages stay refused for everything else.
		wantCode(t, "status after refusal", call(t, c, "helper.status", nil, nil), jsonrpc.CodeHelloRequired)
	}
}

// A refused page learns "not allowed" and whether it may ask, nothing
// more: not the helper's version (not even through minHelperVersion, which
// an allowed page gets answered with update-required), nor capabilities.
func TestRefusedPageLearnsNothing(t *testing.T) {
	e := startAgent(t)
	for _, p := range []map[string]any{
		{"pageOrigin": "https://evil.test", "minHelperVersion": "999.0.0"},
		{"pageOrigin": "https://evil.test", "minHelperVersion": "x"},
		{"pageOrigin": "http://agent.example.test", "minHelperVersion": "999.0.0"},
	} {
		c := e.dial(t)
		identify(t, c, ourExt)
		err := call(t, c, "helper.hello", p, nil)
		if err == nil || err.Code != jsonrpc.CodeNotAllowed {
			t.Fatalf("hello %v: %v, want -32001", p, err)
		}
		for k := range dataOf(err) {
			if k != "reason" && k != "canAsk" && k != "origin" {
				t.Errorf("hello %v: a refused page learns %q: %v", p, k, dataOf(err))
			}
		}
		if strings.Contains(err.Message, version.Version) || strings.Contains(err.Message, "softphone") {
			t.Errorf("hello %v: %q", p, err.Message)
		}
	}
}

func TestExtensionNotAllowed(t *testing.T) {
	e := startAgent(t)
	c := e.dial(t)
	identify(t, c, "chrome-extension://globmenbfjbjogcaljnhjmdhogoajckd/")
	for _, m := range []string{"helper.hello", "helper.status", "policy.allow"} {
		err := call(t, c, m, map[string]any{"pageOrigin": "https://agent.example.test"}, nil)
		wantCode(t, m, err, jsonrpc.CodeNotAllowed)
		if dataOf(err)["reason"] != jsonrpc.ReasonExtensionNotAllowed {
			t.Fatalf("%s: reason %v", m, dataOf(err))
		}
	}
	// A second identify cannot launder the caller.
	identify(t, c, ourExt)
	wantCode(t, "after re-identify", call(t, c, "helper.hello", nil, nil), jsonrpc.CodeNotAllowed)
	// Firefox add-on ids are checked too.
	f := e.dial(t)
	identify(t, f, "evil@example.com")
	wantCode(t, "firefox", call(t, f, "helper.hello", nil, nil), jsonrpc.CodeNotAllowed)
	ok := e.dial(t)
	identify(t, ok, policy.FirefoxExtensionID)
	if err := call(t, ok, "helper.hello", nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestPageCannotApproveItself(t *testing.T) {
	e := startAgent(t)
	page := e.dial(t)
	identify(t, page, ourExt)
	if err := call(t, page, "helper.hello", map[string]any{"pageOrigin": "https://agent.example.test"}, nil); err != nil {
		t.Fatal(err)
	}
	err := call(t, page, "policy.allow", map[string]any{"domain": "evil.test"}, nil)
	wantCode(t, "page policy.allow", err, jsonrpc.CodeNotAllowed)
	if dataOf(err)["reason"] != jsonrpc.ReasonPrivileged {
		t.Fatalf("reason %v", dataOf(err))
	}
	// A second hello cannot switch to another origin or drop it.
	for _, o := range []string{"https://other.cc.example.test", ""} {
		err = call(t, page, "helper.hello", map[string]any{"pageOrigin": o}, nil)
		wantCode(t, "origin change to "+o, err, jsonrpc.CodeNotAllowed)
	}

	// The extension's own page may allow a domain; the refused page then gets in.
	ext := e.dial(t)
	identify(t, ext, ourExt)
	if err := call(t, ext, "helper.hello", nil, nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "bad domain", call(t, ext, "policy.allow", map[string]any{"domain": "a b"}, nil), jsonrpc.CodeInvalidParams)
	var list policyListResult
	if err := call(t, ext, "policy.allow", map[string]any{"domain": "evil.test"}, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.UserDomains) != 1 || list.UserDomains[0] != "evil.test" {
		t.Fatalf("list %+v", list)
	}
	waitEvent(t, page, "policy.changed")
	later := e.dial(t)
	identify(t, later, ourExt)
	if err := call(t, later, "helper.hello", map[string]any{"pageOrigin": "https://evil.test"}, nil); err != nil {
		t.Fatalf("after approval: %v", err)
	}
	// A locked admin policy wins.
	os.WriteFile(e.store.AdminFile, []byte(`{"domains":[],"usersCanManageDomains":false}`), 0o600)
	err = call(t, ext, "policy.allow", map[string]any{"domain": "x.test"}, nil)
	if err == nil || dataOf(err)["reason"] != jsonrpc.ReasonAdminLocked {
		t.Fatalf("locked: %v", err)
	}
}

func waitEvent(t *testing.T, c *client.Client, method string) json.RawMessage {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("connection closed waiting for %s", method)
			}
			if ev.Method == method {
				return ev.Params
			}
		case <-timeout:
			t.Fatalf("no %s event within 5 s", method)
		}
	}
}

func TestClientsChangedBroadcast(t *testing.T) {
	e := startAgent(t)
	a := e.dial(t)
	call(t, a, "helper.hello", nil, nil)
	var p struct{ Clients int }
	json.Unmarshal(waitEvent(t, a, "helper.clientsChanged"), &p)
	if p.Clients != 1 {
		t.Fatalf("clients = %d, want 1", p.Clients)
	}
	silent := e.dial(t) // no hello: must not receive events
	b := e.dial(t)
	call(t, b, "helper.hello", nil, nil)
	json.Unmarshal(waitEvent(t, a, "helper.clientsChanged"), &p)
	if p.Clients != 2 {
		t.Fatalf("clients = %d, want 2", p.Clients)
	}
	b.Close()
	json.Unmarshal(waitEvent(t, a, "helper.clientsChanged"), &p)
	if p.Clients != 1 {
		t.Fatalf("clients after close = %d, want 1", p.Clients)
	}
	select {
	case ev := <-silent.Events():
		t.Fatalf("a session without hello got %v", ev)
	default:
	}
}

// rawConn speaks frames directly, for input the client would never send.
func rawConn(t *testing.T, e *env) net.Conn {
	t.Helper()
	c, err := ipc.Dial(context.Background(), e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

func readAnswer(t *testing.T, c net.Conn) *jsonrpc.Message {
	t.Helper()
	p, err := nativemsg.NewReader(c).ReadFrame()
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	m, _, rerr := jsonrpc.Decode(p)
	if rerr != nil {
		t.Fatalf("answer %s: %v", p, rerr)
	}
	return m
}

func TestMalformedInputKeepsSessionUp(t *testing.T) {
	e := startAgent(t)
	c := rawConn(t, e)
	for _, tt := range []struct {
		in   string
		code int
	}{
		{`{nope`, jsonrpc.CodeParseError},
		{`[1]`, jsonrpc.CodeInvalidRequest},
		{`{"jsonrpc":"2.0","id":1}`, jsonrpc.CodeInvalidRequest},
		{`{"jsonrpc":"2.0","id":2,"method":"helper.hello","params":"x"}`, jsonrpc.CodeInvalidRequest},
		{`{"jsonrpc":"2.0","id":3,"method":"helper.hello","params":{"minHelperVersion":[1]}}`, jsonrpc.CodeInvalidParams},
	} {
		nativemsg.WriteFrame(c, []byte(tt.in))
		m := readAnswer(t, c)
		if m.Error == nil || m.Error.Code != tt.code {
			t.Fatalf("%s: answer %+v, want code %d", tt.in, m.Error, tt.code)
		}
	}
	nativemsg.WriteFrame(c, []byte(`{"jsonrpc":"2.0","id":9,"method":"helper.hello"}`))
	if m := readAnswer(t, c); m.Error != nil || string(m.ID) != "9" {
		t.Fatalf("hello after bad frames: %+v", m)
	}
}

func TestFrameTooLargeClosesSession(t *testing.T) {
	e := startAgent(t)
	c := rawConn(t, e)
	var hdr [4]byte
	binary.NativeEndian.PutUint32(hdr[:], nativemsg.MaxFrame+1)
	c.Write(hdr[:])
	m := readAnswer(t, c)
	if m.Error == nil || m.Error.Code != jsonrpc.CodeInvalidRequest {
		t.Fatalf("answer %+v, want -32600", m)
	}
	if _, err := nativemsg.NewReader(c).ReadFrame(); err != io.EOF {
		t.Fatalf("after refusal: %v, want EOF", err)
	}
	// The agent itself is still up.
	other := e.dial(t)
	if err := call(t, other, "helper.hello", nil, nil); err != nil {
		t.Fatal(err)
	}
}

func countFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

func TestNoLeaksAcrossConnects(t *testing.T) {
	e := startAgent(t)
	warm := e.dial(t)
	call(t, warm, "helper.hello", nil, nil)
	runtime.GC()
	g0, fd0 := runtime.NumGoroutine(), countFDs()
	for i := 0; i < 1000; i++ {
		c, err := client.Dial(context.Background(), e.addr)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := c.Call(context.Background(), "helper.hello", map[string]string{"client": "leak"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
	}
	// Sessions end asynchronously after the client hangs up.
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		g, fd := runtime.NumGoroutine(), countFDs()
		if g <= g0+2 && fd <= fd0+2 {
			t.Logf("goroutines %d → %d, fds %d → %d after 1000 sessions", g0, g, fd0, fd)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("leak after 1000 sessions: goroutines %d → %d, fds %d → %d", g0, g, fd0, fd)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var st statusResult
	call(t, warm, "helper.status", nil, &st)
	if len(st.Clients) != 1 {
		t.Fatalf("status lists %d clients, want 1", len(st.Clients))
	}
}

func TestStopClosesSessions(t *testing.T) {
	e := startAgent(t)
	c := e.dial(t)
	call(t, c, "helper.hello", nil, nil)
	e.stop()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("client still connected after the agent stopped")
	}
}
