package monitorapi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/monitorapi"
	"github.com/openbpclient/bpclient/internal/agenttest"
	"github.com/openbpclient/bpclient/internal/screentest"
	"github.com/openbpclient/bpclient/screen/live"
)

// idleSource is a Source that sends nothing until the stream ends: these
// tests are about the API, not the pictures (internal/e2e has those).
type idleSource struct{}

func (idleSource) Stream(ctx context.Context, _ live.StreamParams, _ <-chan struct{}, _ func([]byte, bool) error) error {
	<-ctx.Done()
	return ctx.Err()
}

// blindSource is a Source whose screen cannot be opened.
type blindSource struct{ idleSource }

func (blindSource) Check() error { return errors.New("screen capture unavailable: no X display") }

func start(t *testing.T, opts monitorapi.Options) *agenttest.Agent {
	t.Helper()
	return agenttest.Start(t, func(srv *agent.Server) []agent.Service {
		opts.Server = srv
		svc := monitorapi.New(opts)
		t.Cleanup(svc.Close)
		return []agent.Service{svc}
	})
}

func wantReason(t *testing.T, what string, jerr *jsonrpc.Error, code int, reason string) {
	t.Helper()
	if jerr == nil {
		t.Errorf("%s: no error, want %d %s", what, code, reason)
		return
	}
	if jerr.Code != code || (reason != "" && !strings.Contains(fmt.Sprint(jerr.Data), reason)) {
		t.Errorf("%s: %v (data %v), want %d %s", what, jerr, jerr.Data, code, reason)
	}
}

func TestUnavailableSaysWhy(t *testing.T) {
	a := start(t, monitorapi.Options{})
	p := a.Open("page", agenttest.OriginA)
	jerr := p.Call("screen.monitor.offer", map[string]any{"monitorId": "m1"}, nil)
	wantReason(t, "offer without a source", jerr, jsonrpc.CodeScreen, jsonrpc.ReasonUnavailable)
	jerr = p.Call("screen.view.start", map[string]any{"viewId": "v1", "sdp": "v=0"}, nil)
	wantReason(t, "view without a decoder", jerr, jsonrpc.CodeScreen, jsonrpc.ReasonUnavailable)
	b := start(t, monitorapi.Options{Source: blindSource{}}).Open("page", agenttest.OriginA)
	jerr = b.Call("screen.monitor.offer", map[string]any{"monitorId": "m1"}, nil)
	wantReason(t, "offer with no screen", jerr, jsonrpc.CodeScreen, jsonrpc.ReasonUnavailable)
	if jerr != nil && !strings.Contains(jerr.Message, "no X display") {
		t.Errorf("offer with no screen says %q, not why", jerr.Message)
	}
	var st struct {
		ScreenLive struct {
			Monitor, View                       bool
			MonitorUnavailable, ViewUnavailable string
		} `json:"screenLive"`
	}
	if jerr := p.Call("helper.status", nil, &st); jerr != nil {
		t.Fatal(jerr)
	}
	if st.ScreenLive.Monitor || st.ScreenLive.View || st.ScreenLive.MonitorUnavailable == "" || st.ScreenLive.ViewUnavailable == "" {
		t.Errorf("status %+v", st.ScreenLive)
	}
}

// TestMonitoringBelongsToItsPage: another origin neither sees nor
// touches it; when its page's session closes it ends (page-left) and the
// screen can be offered again.
func TestMonitoringBelongsToItsPage(t *testing.T) {
	a := start(t, monitorapi.Options{Source: idleSource{}})
	first, second, other := a.Open("first", agenttest.OriginA), a.Open("second", agenttest.OriginA), a.Open("other", agenttest.OriginB)
	if jerr := first.Call("screen.monitor.offer", map[string]any{"monitorId": "m1"}, nil); jerr != nil {
		t.Fatal(jerr)
	}
	status := func(s *agenttest.Session) bool {
		var st struct {
			ScreenLive struct{ Monitoring bool } `json:"screenLive"`
		}
		if jerr := s.Call("helper.status", nil, &st); jerr != nil {
			t.Fatal(jerr)
		}
		return st.ScreenLive.Monitoring
	}
	if !status(second) || status(other) {
		t.Errorf("monitoring as seen by its origin %v, by another %v; want true, false", status(second), status(other))
	}
	wantReason(t, "another origin stops it", other.Call("screen.monitor.stop", map[string]any{"monitorId": "m1"}, nil), jsonrpc.CodeScreen, jsonrpc.ReasonNoSuchMonitor)
	wantReason(t, "a second offer", second.Call("screen.monitor.offer", map[string]any{"monitorId": "m2"}, nil), jsonrpc.CodeScreen, jsonrpc.ReasonBusy)
	for _, ev := range other.Since(0) {
		if strings.HasPrefix(ev.Method, "screen.") {
			t.Errorf("another origin heard %s %s", ev.Method, ev.Params)
		}
	}
	cursor := 0
	first.C.Close()
	ev := second.Await(&cursor, "ended", func(ev client.Event) bool {
		return ev.Method == monitorapi.EventMonitorState && strings.Contains(string(ev.Params), `"state":"ended"`)
	})
	if !strings.Contains(string(ev.Params), `"reason":"page-left"`) {
		t.Errorf("ended: %s", ev.Params)
	}
	if jerr := second.Call("screen.monitor.offer", map[string]any{"monitorId": "m2"}, nil); jerr != nil {
		t.Errorf("offer after the first page left: %v", jerr)
	}
}

// TestViewsAreBounded: no more than MaxViews at once; a stopped one
// makes room; ids are per origin.
func TestViewsAreBounded(t *testing.T) {
	a := start(t, monitorapi.Options{MaxViews: 1, NewDecoder: func() (live.Decoder, error) { return screentest.NewKeyframeDecoder(), nil }})
	p, other := a.Open("page", agenttest.OriginA), a.Open("other", agenttest.OriginB)
	offer := func() string {
		s, err := live.NewSender(live.SenderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		sdp, err := s.Offer()
		if err != nil {
			t.Fatal(err)
		}
		return sdp
	}
	if jerr := p.Call("screen.view.start", map[string]any{"viewId": "v1", "sdp": offer()}, nil); jerr != nil {
		t.Fatal(jerr)
	}
	wantReason(t, "a second view", p.Call("screen.view.start", map[string]any{"viewId": "v2", "sdp": offer()}, nil), jsonrpc.CodeScreen, jsonrpc.ReasonBusy)
	wantReason(t, "fps 9", p.Call("screen.view.start", map[string]any{"viewId": "v3", "sdp": offer(), "fps": 9}, nil), jsonrpc.CodeInvalidParams, "")
	wantReason(t, "another origin stops v1", other.Call("screen.view.stop", map[string]any{"viewId": "v1"}, nil), jsonrpc.CodeScreen, jsonrpc.ReasonNoSuchView)
	if jerr := p.Call("screen.view.stop", map[string]any{"viewId": "v1"}, nil); jerr != nil {
		t.Fatal(jerr)
	}
	if jerr := other.Call("screen.view.start", map[string]any{"viewId": "v1", "sdp": offer()}, nil); jerr != nil {
		t.Errorf("another origin's v1 after the first stopped: %v", jerr)
	}
}
