package desktopapi

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/internal/agenttest"
)

// The broker's tests run the real agent (helper/agent) on a private
// endpoint and talk to it over the real IPC with helper/client: the
// sessions' kinds, hellos and audiences are the agent's, not a fake's.

// fakeClock is Options.AfterFunc by hand: a test fires the timers.
type fakeClock struct {
	mu     sync.Mutex
	timers []*fakeTimer
	armed  chan time.Duration
}

type fakeTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{armed: make(chan time.Duration, 64)} }

func (fc *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	fc.mu.Lock()
	t := &fakeTimer{d: d, f: f}
	fc.timers = append(fc.timers, t)
	fc.mu.Unlock()
	select {
	case fc.armed <- d:
	default: // nobody watches (a benchmark's thousands of requests)
	}
	return func() bool {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// fireAll runs every timer not stopped, as if its time had come.
func (fc *fakeClock) fireAll() int {
	fc.mu.Lock()
	var due []*fakeTimer
	for _, t := range fc.timers {
		if !t.stopped {
			t.stopped = true
			due = append(due, t)
		}
	}
	fc.mu.Unlock()
	for _, t := range due {
		t.f()
	}
	return len(due)
}

type env struct {
	addr  string
	srv   *agent.Server
	clock *fakeClock
}

const (
	ourOrigin   = agenttest.OriginA
	otherOrigin = agenttest.OriginB
	ourExt      = "chrome-extension://" + policy.ChromiumExtensionID + "/"
)

func startAgent(t testing.TB) *env {
	t.Helper()
	clock := newFakeClock()
	a := agenttest.Start(t, func(srv *agent.Server) []agent.Service {
		return []agent.Service{New(Options{Logger: zerolog.Nop(), Events: srv, AfterFunc: clock.AfterFunc})}
	})
	return &env{addr: a.Addr, srv: a.Srv, clock: clock}
}

func (e *env) dial(t testing.TB) *client.Client {
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

// app is a desktop application's session.
func (e *env) app(t testing.TB, name string) *client.Client {
	t.Helper()
	c := e.dial(t)
	mustCall(t, c, "helper.hello", map[string]any{"client": name, "clientVersion": "1.2.3", "desktopApp": true}, nil)
	return c
}

// page is an Agent Desktop page's session through the extension.
func (e *env) page(t testing.TB, origin string) *client.Client {
	t.Helper()
	c := e.dial(t)
	if err := c.Notify("relay.identify", map[string]any{"browser": "chromium", "extension": ourExt}); err != nil {
		t.Fatal(err)
	}
	mustCall(t, c, "helper.hello", map[string]any{"client": "agent-desktop", "clientVersion": "9", "pageOrigin": origin}, nil)
	return c
}

var testAgent = map[string]any{"id": "a-17", "name": "Ada Agent", "extension": "2017"}

// attach makes c the provider offering every function.
func attach(t testing.TB, c *client.Client) {
	t.Helper()
	mustCall(t, c, "desktop.attach", map[string]any{"agent": testAgent, "functions": Functions}, nil)
}

func call(t testing.TB, c *client.Client, method string, params, result any) *jsonrpc.Error {
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

func mustCall(t testing.TB, c *client.Client, method string, params, result any) {
	t.Helper()
	if err := call(t, c, method, params, result); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
}

// wantError checks an error's code and data.reason ("" for none).
func wantError(t *testing.T, what string, err *jsonrpc.Error, code int, reason string) {
	t.Helper()
	if err == nil || err.Code != code {
		t.Fatalf("%s: got %v, want code %d", what, err, code)
	}
	data, _ := err.Data.(map[string]any)
	if got, _ := data["reason"].(string); got != reason {
		t.Fatalf("%s: reason %q, want %q (%v)", what, got, reason, err)
	}
}

// nextEvent returns c's next event named method, skipping others.
func nextEvent(t *testing.T, c *client.Client, method string) json.RawMessage {
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

// noEvent checks that c hears no event named method within a short while.
func noEvent(t *testing.T, c *client.Client, method string) {
	t.Helper()
	timeout := time.After(300 * time.Millisecond)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return
			}
			if ev.Method == method {
				t.Fatalf("unexpected %s: %s", method, ev.Params)
			}
		case <-timeout:
			return
		}
	}
}

// asyncCall runs a call in the background; its error arrives on the channel.
func asyncCall(c *client.Client, method string, params, result any) <-chan error {
	out := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out <- c.Call(ctx, method, params, result)
	}()
	return out
}

func rpcErr(t *testing.T, err error) *jsonrpc.Error {
	t.Helper()
	if err == nil {
		return nil
	}
	var rerr *jsonrpc.Error
	if !errors.As(err, &rerr) {
		t.Fatalf("not a JSON-RPC error: %v", err)
	}
	return rerr
}

func waitErr(t *testing.T, ch <-chan error) *jsonrpc.Error {
	t.Helper()
	select {
	case err := <-ch:
		return rpcErr(t, err)
	case <-time.After(8 * time.Second):
		t.Fatal("the call did not end within 8 s")
		return nil
	}
}
