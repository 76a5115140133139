package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Browser is a running headless browser with the extension loaded.
type Browser interface {
	// Name is "chromium" or "firefox".
	Name() string
	// NewPage opens url in a new tab and waits for it to load.
	NewPage(ctx context.Context, url string) (Page, error)
	// ExtensionURL is the URL of a file of the loaded extension
	// (e.g. "popup.html").
	ExtensionURL(file string) string
	// Close ends the browser and waits for it.
	Close() error
}

// Page is one tab.
type Page interface {
	// Eval evaluates a JavaScript expression in the page, awaits it if it
	// is a promise, and decodes its JSON value into out (nil: ignore).
	Eval(ctx context.Context, expr string, out any) error
	// Navigate loads url in this tab and waits for it to load.
	Navigate(ctx context.Context, url string) error
	// Close closes the tab.
	Close() error
}

// LogEntry is one thing the demo page received (window.bpDemo.log).
type LogEntry struct {
	T     int64           `json:"t"`
	Kind  string          `json:"kind"` // state, hello, status, event, error, request
	Name  string          `json:"name"` // the state's or event's name
	Data  json.RawMessage `json:"data"`
	Index int             `json:"-"`
}

// Decode unmarshals the entry's data.
func (e LogEntry) Decode(v any) error { return json.Unmarshal(e.Data, v) }

func (e LogEntry) String() string {
	return fmt.Sprintf("#%d %s %s %s", e.Index, e.Kind, e.Name, e.Data)
}

// WaitLog waits until the demo page in p has received an entry of kind
// (and name, unless empty) at or after index from, and returns it. On a
// timeout the error carries the page's whole log.
func WaitLog(ctx context.Context, p Page, kind, name string, from int, timeout time.Duration) (LogEntry, error) {
	nameJS := "null"
	if name != "" {
		b, _ := json.Marshal(name)
		nameJS = string(b)
	}
	kindJS, _ := json.Marshal(kind)
	expr := fmt.Sprintf(`(async () => {
		const deadline = Date.now() + %[4]d;
		while (!window.bpDemo) {
			if (Date.now() > deadline) throw new Error("the demo page did not start");
			await new Promise((r) => setTimeout(r, 20));
		}
		try {
			const r = await window.bpDemo.waitFor(%[1]s, %[2]s, %[3]d, Math.max(1, deadline - Date.now()));
			return {index: r.index, entry: r.entry};
		} catch (e) {
			return {error: String(e && e.message || e)};
		}
	})()`, kindJS, nameJS, from, timeout.Milliseconds())
	var r struct {
		Index int      `json:"index"`
		Entry LogEntry `json:"entry"`
		Error string   `json:"error"`
	}
	cctx, cancel := context.WithTimeout(ctx, timeout+10*time.Second)
	defer cancel()
	if err := p.Eval(cctx, expr, &r); err != nil {
		return LogEntry{}, fmt.Errorf("wait for %s %s: %w", kind, name, err)
	}
	if r.Error != "" {
		return LogEntry{}, fmt.Errorf("wait for %s %s: %s", kind, name, r.Error)
	}
	r.Entry.Index = r.Index
	return r.Entry, nil
}

// DemoLog returns everything the demo page in p received so far.
func DemoLog(ctx context.Context, p Page) ([]LogEntry, error) {
	var log []LogEntry
	if err := p.Eval(ctx, `window.bpDemo ? window.bpDemo.log : []`, &log); err != nil {
		return nil, err
	}
	for i := range log {
		log[i].Index = i
	}
	return log, nil
}

// DemoLogSince returns the entries the demo page in p received at or
// after index from.
func DemoLogSince(ctx context.Context, p Page, from int) ([]LogEntry, error) {
	var log []LogEntry
	if err := p.Eval(ctx, fmt.Sprintf(`window.bpDemo ? window.bpDemo.log.slice(%d) : []`, from), &log); err != nil {
		return nil, err
	}
	for i := range log {
		log[i].Index = from + i
	}
	return log, nil
}

// DemoCall makes the demo page call method through bpclient.js and
// returns the result or the JSON-RPC error it got.
func DemoCall(ctx context.Context, p Page, method string, params any) (json.RawMessage, *RPCError, error) {
	m, _ := json.Marshal(method)
	pr, err := json.Marshal(params)
	if err != nil {
		return nil, nil, err
	}
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *RPCError       `json:"error"`
	}
	if err := p.Eval(ctx, fmt.Sprintf(`window.bpDemo.call(%s, %s)`, m, pr), &r); err != nil {
		return nil, nil, err
	}
	return r.Result, r.Error, nil
}

// RPCError is a JSON-RPC error as the page saw it.
type RPCError struct {
	Code    int            `json:"code"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("%d %s %v", e.Code, e.Message, e.Data) }
