package screenproxy

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// The test binary is its own worker when fakeWorkerEnv is set: a fake
// recorder behind a real Worker, idle after 200 ms.
const fakeWorkerEnv = "BPCLIENT_SCREENPROXY_FAKE_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(fakeWorkerEnv) == "1" {
		w := NewWorker(os.Stdout, zerolog.New(os.Stderr))
		rec := &fakeRecorder{w: w}
		w.Register(rec)
		_ = w.Serve(context.Background(), os.Stdin, 200*time.Millisecond)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeRecorder answers screen.record.start and .stop with their state
// events to the caller's session, and is busy between them.
type fakeRecorder struct {
	w       *Worker
	running atomic.Bool
}

func (f *fakeRecorder) Name() string           { return "screen" }
func (f *fakeRecorder) Capabilities() []string { return []string{"screen-recording", "screen-view"} }
func (f *fakeRecorder) Status() any            { return map[string]bool{"running": f.running.Load()} }
func (f *fakeRecorder) Busy() bool             { return f.running.Load() }
func (f *fakeRecorder) Methods() map[string]agent.Method {
	state := func(st string, on bool) agent.Method {
		return func(_ context.Context, c *agent.Call) (any, *jsonrpc.Error) {
			f.running.Store(on)
			f.w.SendToSession(c.SessionID, "screen.record.state", map[string]string{"state": st, "recordingId": "r1"})
			return map[string]string{"origin": c.PageOrigin}, nil
		}
	}
	return map[string]agent.Method{"screen.record.start": state("recording", true), "screen.record.stop": state("stopped", false)}
}

// events is the agent's side: what reached which session.
type events struct {
	mu   sync.Mutex
	got  []string // session event state reason
	seen chan struct{}
}

func (e *events) SendToSession(id, event string, params any) bool {
	raw, _ := json.Marshal(params)
	var p struct{ State, Reason string }
	_ = json.Unmarshal(raw, &p)
	e.mu.Lock()
	e.got = append(e.got, id+" "+event+" "+p.State+" "+p.Reason)
	e.mu.Unlock()
	e.seen <- struct{}{}
	return true
}
func (e *events) Broadcast(string, any)                   {}
func (e *events) BroadcastTo(agent.Audience, string, any) {}
func (e *events) next(t *testing.T) string {
	t.Helper()
	select {
	case <-e.seen:
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.got[len(e.got)-1]
}

func fakeProxy(t *testing.T) (*Proxy, *events) {
	ev := &events{seen: make(chan struct{}, 16)}
	p := New(Options{Program: os.Args[0], Env: []string{fakeWorkerEnv + "=1"}, Events: ev, SpoolDir: t.TempDir()})
	t.Cleanup(p.Close)
	return p, ev
}

func (p *Proxy) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return 0
	}
	return p.w.cmd.Process.Pid
}

var page = &agent.Call{Kind: "page", PageOrigin: "https://agent.example.test", SessionID: "s1", Params: json.RawMessage(`{}`)}

// TestWorkerRelaysAndDies: a request reaches the worker with its caller
// and its event the caller's session; a worker killed while recording
// ends the recording with worker-failed, and the next request starts a
// new worker.
func TestWorkerRelaysAndDies(t *testing.T) {
	p, ev := fakeProxy(t)
	res, jerr := p.forward("screen.record.start")(t.Context(), page)
	if jerr != nil || string(res.(json.RawMessage)) != `{"origin":"https://agent.example.test"}` {
		t.Fatalf("start: %s %v", res, jerr)
	}
	if got := ev.next(t); got != "s1 screen.record.state recording " {
		t.Fatalf("event %q", got)
	}
	first := p.pid()
	proc, _ := os.FindProcess(first)
	_ = proc.Kill()
	if got := ev.next(t); got != "s1 screen.record.state stopped "+ReasonWorkerFailed {
		t.Fatalf("after the kill: %q", got)
	}
	if _, jerr := p.forward("screen.record.start")(t.Context(), page); jerr != nil {
		t.Fatal(jerr)
	}
	if second := p.pid(); second == first || second == 0 {
		t.Fatalf("worker %d after %d", second, first)
	}
}

// TestWorkerEndsWhenIdle: a worker that is not busy is ended after its
// idle time, one that records is not; no event says it failed.
func TestWorkerEndsWhenIdle(t *testing.T) {
	p, ev := fakeProxy(t)
	if _, jerr := p.forward("screen.record.start")(t.Context(), page); jerr != nil {
		t.Fatal(jerr)
	}
	ev.next(t)
	time.Sleep(600 * time.Millisecond)
	if !p.Running() {
		t.Fatal("a recording worker was ended")
	}
	if _, jerr := p.forward("screen.record.stop")(t.Context(), page); jerr != nil {
		t.Fatal(jerr)
	}
	ev.next(t)
	deadline := time.Now().Add(5 * time.Second)
	for p.pid() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the idle worker still runs")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-ev.seen:
		t.Fatalf("events after an idle end: %v", ev.got)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestWorkerAgainForALateSpool: segments that come into the spool after
// the worker loaded it (an earlier worker spooling its last one) start a
// worker again when the idle one has ended, once: a spool the worker
// does not take (here it takes none) starts no worker after worker.
func TestWorkerAgainForALateSpool(t *testing.T) {
	p, _ := fakeProxy(t)
	if _, jerr := p.forward("screen.record.stop")(t.Context(), page); jerr != nil {
		t.Fatal(jerr)
	}
	first := p.pid()
	writeFile(t, p.o.SpoolDir+"/r-0011", "00000001.webm")
	pids := map[int]bool{first: true}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if pid := p.pid(); pid != 0 {
			pids[pid] = true
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(pids) != 2 || p.pid() != 0 {
		t.Fatalf("workers %v, running %d: want the first and one more for the spool, then none", pids, p.pid())
	}
}
