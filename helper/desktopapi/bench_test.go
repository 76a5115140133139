package desktopapi

import (
	"context"
	"encoding/json"
	"testing"
)

// BenchmarkRequestRoundTrip is one desktop.makeCall from an application
// to the page and the page's answer back, through the real agent over
// its real socket (both clients in this process); BENCHMARKS.md, "Desktop
// API (issue 15)".
func BenchmarkRequestRoundTrip(b *testing.B) {
	e := startAgent(b)
	app := e.app(b, "bench")
	page := e.page(b, ourOrigin)
	attach(b, page)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ev := range page.Events() {
			if ev.Method != EventRequest {
				continue
			}
			var req gotRequest
			if json.Unmarshal(ev.Params, &req) == nil {
				page.Call(ctx, "desktop.respond", map[string]any{"requestId": req.RequestID, "result": map[string]bool{"ok": true}}, nil)
			}
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := app.Call(ctx, "desktop.makeCall", map[string]string{"number": "1002"}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
