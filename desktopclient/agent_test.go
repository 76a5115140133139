//go:build linux

package desktopclient_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/desktopclient"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/fakedesktop"
)

// These tests run the real agent binary (`bpclient agent`, built here) in
// an isolated HOME, with a fake Agent Desktop: a local client that
// attaches as the provider and answers requests, as the page would.

type world struct {
	t     *testing.T
	ctx   context.Context
	bins  *browsertest.Binaries
	env   *browsertest.Env
	agent *browsertest.Agent
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	binDir, err := os.MkdirTemp("", "dcb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	bins, err := browsertest.BuildBinaries(ctx, binDir)
	if err != nil {
		t.Fatal(err)
	}
	// A short root: the agent's socket path must fit in 108 bytes.
	root, err := os.MkdirTemp("", "dc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	env, err := browsertest.NewEnv(root)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, bins: bins, env: env}
	w.startAgent()
	t.Cleanup(func() {
		if w.agent != nil {
			w.agent.Stop()
		}
	})
	return w
}

func (w *world) startAgent() {
	w.t.Helper()
	a, err := browsertest.StartAgent(w.ctx, w.bins, w.env)
	if err != nil {
		w.t.Fatal(err)
	}
	w.agent = a
}

// fakePage attaches a fake Agent Desktop (internal/fakedesktop).
func (w *world) fakePage(agentID string) *fakedesktop.Page {
	w.t.Helper()
	p, err := fakedesktop.Attach(w.ctx, w.env.AgentSocket(), agentID)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(p.Close)
	return p
}

func TestClientAgainstTheRealAgent(t *testing.T) {
	w := newWorld(t)
	app, err := desktopclient.Dial(w.ctx, desktopclient.Options{Name: "Go CRM", Version: "0.9", Addr: w.env.AgentSocket(), Retry: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if c := next[desktopclient.Connection](t, app); !c.Connected {
		t.Fatalf("first event %+v", c)
	}
	if _, err := app.MakeCall(w.ctx, "1002"); err == nil {
		t.Fatal("makeCall with no page attached succeeded")
	} else if r, ok := desktopclient.NoSessionReason(err); !ok || r != desktopclient.ReasonNotAttached {
		t.Fatalf("makeCall with no page: %v", err)
	}

	page := w.fakePage("g-1")
	if a := next[desktopclient.Attached](t, app); a.Agent.ID != "g-1" || a.Agent.Extension != "3003" || len(a.Functions) != 4 {
		t.Fatalf("attached %+v", a)
	}
	res, err := app.MakeCall(w.ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	if string(res) != `{"answered":"makeCall","params":{"number":"1002"}}` {
		t.Fatalf("makeCall answer %s", res)
	}
	if i := next[desktopclient.Interaction](t, app); i.Event != "call.initiated" || string(i.Params) != `{"number":"1002"}` {
		t.Fatalf("interaction %+v %s", i, i.Params)
	}
	if res, err = app.PauseRecording(w.ctx, desktopclient.Recording{Screen: true}); err != nil || string(res) != `{"answered":"pauseRecording","params":{"voice":false,"screen":true}}` {
		t.Fatalf("pauseRecording: %s %v", res, err)
	}
	if res, err = app.Status(w.ctx); err != nil || string(res) != `{"answered":"status","params":{}}` {
		t.Fatalf("status: %s %v", res, err)
	}
	page.Close()
	if d := next[desktopclient.Detached](t, app); d.Reason != "session-ended" {
		t.Fatalf("detached %+v", d)
	}

	// The agent restarts: the client says so, reconnects and works again.
	w.fakePage("g-2")
	next[desktopclient.Attached](t, app)
	if err := w.agent.Stop(); err != nil {
		t.Fatal(err)
	}
	if c := next[desktopclient.Connection](t, app); c.Connected {
		t.Fatalf("after the agent stopped: %+v", c)
	}
	if _, err := app.MakeCall(w.ctx, "1"); err == nil {
		t.Fatal("a call while the agent is away succeeded")
	}
	w.startAgent()
	if c := next[desktopclient.Connection](t, app); !c.Connected {
		t.Fatalf("after the agent restarted: %+v", c)
	}
	w.fakePage("g-3")
	if a := next[desktopclient.Attached](t, app); a.Agent.ID != "g-3" {
		t.Fatalf("attached after restart %+v", a)
	}
	if res, err = app.ResumeRecording(w.ctx, desktopclient.Recording{Voice: true}); err != nil || string(res) != `{"answered":"resumeRecording","params":{"voice":true,"screen":false}}` {
		t.Fatalf("resumeRecording after restart: %s %v", res, err)
	}
	s, err := app.Session(w.ctx)
	if err != nil || !s.Attached || s.Agent.ID != "g-3" {
		t.Fatalf("session %+v %v", s, err)
	}

	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	for range app.Events() {
	}
	if _, err := app.MakeCall(w.ctx, "1"); err != desktopclient.ErrClosed {
		t.Fatalf("after Close: %v", err)
	}
}
