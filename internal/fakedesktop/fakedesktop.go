// Package fakedesktop is a stand-in Agent Desktop for the desktop API's
// client tests: a local client of the real agent that attaches as the
// provider and answers every request, as the page would, so that a
// client (Go, .NET) can be tested against the real agent without a
// browser.
package fakedesktop

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/openbpclient/bpclient/helper/client"
)

// Page is an attached fake Agent Desktop. It answers each request with
// {"answered": method, "params": params}; for a makeCall it first
// publishes call.initiated and call.released with the request's params.
type Page struct {
	c    *client.Client
	done chan struct{}
}

// Attach connects to the agent at addr, attaches as agentID with every
// function, and answers until Close or the agent goes away.
func Attach(ctx context.Context, addr, agentID string) (*Page, error) {
	c, err := client.Dial(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("fake desktop: %w", err)
	}
	if err := c.Call(ctx, "helper.hello", map[string]string{"client": "fake-agent-desktop", "clientVersion": "0"}, nil); err != nil {
		c.Close()
		return nil, fmt.Errorf("fake desktop: hello: %w", err)
	}
	attach := map[string]any{"agent": map[string]string{"id": agentID, "name": "Fay Fake", "extension": "3003"},
		"functions": []string{"makeCall", "pauseRecording", "resumeRecording", "status"}}
	if err := c.Call(ctx, "desktop.attach", attach, nil); err != nil {
		c.Close()
		return nil, fmt.Errorf("fake desktop: attach: %w", err)
	}
	p := &Page{c: c, done: make(chan struct{})}
	go p.answer()
	return p, nil
}

func (p *Page) answer() {
	defer close(p.done)
	ctx := context.Background()
	for ev := range p.c.Events() {
		if ev.Method != "desktop.request" {
			continue
		}
		var req struct {
			RequestID string          `json:"requestId"`
			Method    string          `json:"method"`
			Params    json.RawMessage `json:"params"`
		}
		if json.Unmarshal(ev.Params, &req) != nil {
			continue
		}
		if req.Method == "makeCall" {
			for _, name := range []string{"call.initiated", "call.released"} {
				p.c.Call(ctx, "desktop.publish", map[string]any{"event": name, "params": req.Params}, nil)
			}
		}
		p.c.Call(ctx, "desktop.respond", map[string]any{"requestId": req.RequestID,
			"result": map[string]any{"answered": req.Method, "params": req.Params}}, nil)
	}
}

// Close ends the page's session (the agent then detaches it) and waits
// for its answering goroutine.
func (p *Page) Close() {
	p.c.Close()
	<-p.done
}
