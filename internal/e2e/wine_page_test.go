//go:build linux

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/nativemsg"
)

// framePage is an Agent Desktop page as the agent sees it through a
// native host: it writes the frames the extension would write to the
// host's stdin (4-byte length, JSON) and reads the answers and events
// from its stdout. It owns the host process and the goroutine reading it;
// both end when the test does (close, or the cleanup).
type framePage struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{} // closed when the reader has stopped
	once  sync.Once     // close's

	mu      sync.Mutex
	nextID  int
	pending map[string]chan *jsonrpc.Message
	events  []pageEvent
	changed chan struct{} // closed and replaced at each new event
	readErr error
}

// pageEvent is one notification the page received.
type pageEvent struct {
	Method string
	Params json.RawMessage
}

// pageAnswerGuard bounds one request's answer (an agent started by the
// host under wine takes a few seconds to listen).
const pageAnswerGuard = 60 * time.Second

// startFramePage starts the host as Chromium would: its manifest's path
// with the calling extension's origin as the argument, in its own folder.
func startFramePage(t *testing.T, dir string, env []string, host string, args ...string) *framePage {
	t.Helper()
	cmd := exec.Command(host, args...)
	cmd.Dir, cmd.Env = dir, env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", host, err)
	}
	p := &framePage{cmd: cmd, stdin: stdin, done: make(chan struct{}),
		pending: map[string]chan *jsonrpc.Message{}, changed: make(chan struct{})}
	go p.read(nativemsg.NewReader(stdout))
	t.Cleanup(p.close)
	return p
}

// read delivers answers to their callers and keeps the events, until the
// host's stdout ends.
func (p *framePage) read(r *nativemsg.Reader) {
	defer close(p.done)
	for {
		frame, err := r.ReadFrame()
		if err != nil {
			p.mu.Lock()
			p.readErr = err
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
			return
		}
		m, _, rpcErr := jsonrpc.Decode(frame)
		if rpcErr != nil || m == nil {
			continue
		}
		p.mu.Lock()
		if m.Method != "" {
			p.events = append(p.events, pageEvent{Method: m.Method, Params: m.Params})
			close(p.changed)
			p.changed = make(chan struct{})
		} else if ch, ok := p.pending[string(m.ID)]; ok {
			delete(p.pending, string(m.ID))
			ch <- m
		}
		p.mu.Unlock()
	}
}

// close ends the port as a browser does (stdin closed) and waits for the
// host; a host that does not leave is killed. Once: later calls return.
func (p *framePage) close() { p.once.Do(p.closeOnce) }

func (p *framePage) closeOnce() {
	p.stdin.Close()
	exited := make(chan struct{})
	go func() { p.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-exited
	}
	<-p.done
}

// request sends one request and waits for its answer.
func (p *framePage) request(method string, params any) (json.RawMessage, *jsonrpc.Error, error) {
	p.mu.Lock()
	p.nextID++
	id := strconv.Itoa(p.nextID)
	ch := make(chan *jsonrpc.Message, 1)
	p.pending[id] = ch
	p.mu.Unlock()
	msg := map[string]any{"jsonrpc": "2.0", "id": p.nextID, "method": method}
	if params != nil {
		msg["params"] = params
	}
	frame, err := json.Marshal(msg)
	if err != nil {
		return nil, nil, err
	}
	if err := nativemsg.WriteFrame(p.stdin, frame); err != nil {
		return nil, nil, fmt.Errorf("write %s: %w", method, err)
	}
	forget := func() {
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
	}
	select {
	case m := <-ch:
		return m.Result, m.Error, nil
	case <-p.done:
		forget()
		return nil, nil, fmt.Errorf("the host's output ended before the answer to %s: %v", method, p.err())
	case <-time.After(pageAnswerGuard):
		forget()
		return nil, nil, errors.New(wineHangGuard(pageAnswerGuard, "no answer to %s", method))
	}
}

// call is request for methods that must succeed; their result goes into
// out (nil: dropped).
func (p *framePage) call(t *testing.T, method string, params, out any) {
	t.Helper()
	res, rpcErr, err := p.request(method, params)
	if err != nil {
		t.Fatal(err)
	}
	if rpcErr != nil {
		t.Fatalf("%s: %d %s %v", method, rpcErr.Code, rpcErr.Message, rpcErr.Data)
	}
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			t.Fatalf("%s: result %s: %v", method, res, err)
		}
	}
}

func (p *framePage) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readErr
}

// mark is where the events received so far end: waitEvent(mark(), …)
// looks only at later ones.
func (p *framePage) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.events)
}

// waitEvent waits for an event named method, from the from'th on, whose
// params contain each of want (as JSON text), and returns it.
func (p *framePage) waitEvent(t *testing.T, from int, within time.Duration, method string, want ...string) pageEvent {
	t.Helper()
	deadline := time.After(within)
	for {
		p.mu.Lock()
		for _, e := range p.events[min(from, len(p.events)):] {
			if e.Method == method && paramsHaveAll(string(e.Params), want) {
				p.mu.Unlock()
				return e
			}
		}
		changed, readErr := p.changed, p.readErr
		p.mu.Unlock()
		if readErr != nil {
			t.Fatalf("waiting for %s %s: the host's output ended: %v\nevents: %s", method, want, readErr, p.eventLog(from))
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%s\nevents: %s", wineHangGuard(within, "no %s event with %s", method, want), p.eventLog(from))
		}
	}
}

// eventsSince is a copy of the events from the from'th on.
func (p *framePage) eventsSince(from int) []pageEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.events[min(from, len(p.events)):])
}

// eventLog lists the events from the from'th on, for a failure message.
func (p *framePage) eventLog(from int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, e := range p.events[min(from, len(p.events)):] {
		fmt.Fprintf(&b, "\n  %s %s", e.Method, e.Params)
	}
	return b.String()
}

func paramsHaveAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
