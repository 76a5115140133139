// Package agenttest runs a real agent in-process on a private socket for
// the tests of its services, and opens sessions to it as a page (through
// the extension) or as a local client, keeping every event they get.
package agenttest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
)

// The page origins the agent admits.
const (
	OriginA = "https://agent.example.test"
	OriginB = "https://crm.example.test"
)

const ourExt = "chrome-extension://" + policy.ChromiumExtensionID + "/"

// hangGuard bounds every wait.
const hangGuard = 20 * time.Second

// Agent is a running agent.
type Agent struct {
	t    testing.TB
	Srv  *agent.Server
	Addr string
}

// Start runs an agent with the services that services makes (given the
// server, before it serves); it stops when the test ends, after which
// the services' own cleanups run.
func Start(t testing.TB, services func(srv *agent.Server) []agent.Service) *Agent {
	t.Helper()
	dir, err := os.MkdirTemp("", "agt") // short: a socket path has 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	store := &policy.Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user.json")}
	if err := os.WriteFile(store.AdminFile, []byte(`{"domains":["agent.example.test","crm.example.test"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := filepath.Join(dir, "run", "agent.sock")
	if runtime.GOOS == "windows" {
		addr = `\\.\pipe\bpclient-agent-test-` + filepath.Base(dir)
	}
	ln, err := ipc.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := agent.New(agent.Options{Policy: store, Logger: zerolog.Nop()})
	for _, svc := range services(srv) {
		if err := srv.Register(svc); err != nil {
			t.Fatal(err)
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("agent did not stop within 30 s")
		}
	})
	return &Agent{t: t, Srv: srv, Addr: ln.Addr().String()}
}

// Session is one session of the agent. It keeps every event; Await reads
// them with cursors of the caller's, so that several readers each see
// them in order.
type Session struct {
	t    testing.TB
	Name string
	C    *client.Client
	ID   string // the agent's sessionId

	mu     sync.Mutex
	events []client.Event
	heard  chan struct{}
	ended  chan struct{}
}

// Open says hello as a page of origin (through the extension), or as a
// local client (the CLI) when origin is "".
func (a *Agent) Open(name, origin string) *Session {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, a.Addr)
	if err != nil {
		a.t.Fatal(err)
	}
	s := &Session{t: a.t, Name: name, C: c, heard: make(chan struct{}, 1), ended: make(chan struct{})}
	go s.keep()
	a.t.Cleanup(func() { c.Close() })
	hello := map[string]any{"client": name}
	if origin != "" {
		if err := c.Notify("relay.identify", map[string]any{"browser": "chromium", "extension": ourExt}); err != nil {
			a.t.Fatal(err)
		}
		hello["pageOrigin"] = origin
	}
	var res struct {
		SessionID string `json:"sessionId"`
	}
	if jerr := s.Call("helper.hello", hello, &res); jerr != nil {
		a.t.Fatalf("%s: hello: %v", name, jerr)
	}
	s.ID = res.SessionID
	return s
}

func (s *Session) keep() {
	defer close(s.ended)
	for ev := range s.C.Events() {
		s.mu.Lock()
		s.events = append(s.events, ev)
		s.mu.Unlock()
		select {
		case s.heard <- struct{}{}:
		default:
		}
	}
}

// Call sends a request; a JSON-RPC error is returned, anything else
// fails the test.
func (s *Session) Call(method string, params, result any) *jsonrpc.Error {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.C.Call(ctx, method, params, result)
	var jerr *jsonrpc.Error
	if err != nil && !errors.As(err, &jerr) {
		s.t.Fatalf("%s: %s: %v", s.Name, method, err)
	}
	return jerr
}

// Await returns the first event from *cursor on that match admits and
// moves the cursor past it; it fails the test after the hang guard.
func (s *Session) Await(cursor *int, what string, match func(client.Event) bool) client.Event {
	s.t.Helper()
	guard := time.After(hangGuard)
	for {
		s.mu.Lock()
		for ; *cursor < len(s.events); *cursor++ {
			if ev := s.events[*cursor]; match(ev) {
				*cursor++
				s.mu.Unlock()
				return ev
			}
		}
		s.mu.Unlock()
		select {
		case <-s.heard:
		case <-s.ended:
			s.t.Fatalf("%s: closed while waiting for %s", s.Name, what)
		case <-guard:
			s.t.Fatalf("%s: no %s within %v", s.Name, what, hangGuard)
		}
	}
}

// Since are the events from cursor on.
func (s *Session) Since(cursor int) []client.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]client.Event(nil), s.events[cursor:]...)
}
