//go:build linux

package popupapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/popupapi"
	"github.com/openbpclient/bpclient/internal/agenttest"
	"github.com/openbpclient/bpclient/internal/desktoptest"
)

const (
	originA = agenttest.OriginA
	originB = agenttest.OriginB
)

// rig is a real agent in-process with the popup service (and what more
// adds) on a private desktop with the real dunst.
type rig struct {
	t   *testing.T
	d   *desktoptest.Desktop
	a   *agenttest.Agent
	pop *popupapi.Service
	rec *recording
}

// recording is the real notifier, noting the ID dunst gave each pop-up.
type recording struct {
	notify.Notifier
	mu   sync.Mutex
	last notify.ID
}

func (r *recording) Show(ctx context.Context, n notify.Notification) (notify.ID, error) {
	id, err := r.Notifier.Show(ctx, n)
	r.mu.Lock()
	r.last = id
	r.mu.Unlock()
	return id, err
}

func (r *recording) lastID() uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return uint32(r.last)
}

func startRig(t *testing.T, more ...func(*agent.Server, *popupapi.Service) agent.Service) *rig {
	t.Helper()
	d := desktoptest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := notify.Open(ctx, notify.Options{BusAddress: d.BusAddress})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, d: d, rec: &recording{Notifier: n}}
	r.a = agenttest.Start(t, func(srv *agent.Server) []agent.Service {
		r.pop = popupapi.New(popupapi.Options{Logger: zerolog.Nop(), Notifier: r.rec, Server: srv})
		t.Cleanup(r.pop.Close) // after the agent has stopped
		svcs := []agent.Service{r.pop}
		for _, f := range more {
			svcs = append(svcs, f(srv, r.pop))
		}
		return svcs
	})
	return r
}

// page is one session of the agent, as a page (origin set) or the CLI;
// next reads its pop-up events in order, waitEvent (call_test.go) its
// others, each with a cursor of its own.
type page struct {
	*agenttest.Session
	t       *testing.T
	popNext int
	anyNext int
}

func (r *rig) open(name, origin string) *page {
	r.t.Helper()
	return &page{Session: r.a.Open(name, origin), t: r.t}
}

func (p *page) call(method string, params, result any) *jsonrpc.Error {
	p.t.Helper()
	return p.Call(method, params, result)
}

type shown struct {
	PopupID string `json:"popupId"`
	Actions bool   `json:"actions"`
}

func (p *page) show(params map[string]any) shown {
	p.t.Helper()
	var res shown
	if jerr := p.call("popup.show", params, &res); jerr != nil {
		p.t.Fatalf("%s: popup.show: %v", p.Name, jerr)
	}
	return res
}

// popupEvent is popup.action or popup.closed as the page gets it.
type popupEvent struct {
	Method  string
	PopupID string `json:"popupId"`
	Tag     string `json:"tag"`
	Action  string `json:"action"`
	Reason  string `json:"reason"`
}

// next is the page's next popup.* event (others pass by).
func (p *page) next() popupEvent {
	p.t.Helper()
	ev := p.Await(&p.popNext, "pop-up event", func(ev client.Event) bool { return strings.HasPrefix(ev.Method, "popup.") })
	pe := popupEvent{Method: ev.Method}
	if err := json.Unmarshal(ev.Params, &pe); err != nil {
		p.t.Fatal(err)
	}
	return pe
}

// expect checks that the page's next pop-up events are want, in order.
func (p *page) expect(want ...popupEvent) {
	p.t.Helper()
	for _, w := range want {
		if got := p.next(); got != w {
			p.t.Fatalf("%s: got %+v, want %+v", p.Name, got, w)
		}
	}
}

// quiet checks that the page gets no further pop-up event for a while.
func (p *page) quiet(d time.Duration) {
	p.t.Helper()
	time.Sleep(d)
	for _, ev := range p.Since(p.popNext) {
		if strings.HasPrefix(ev.Method, "popup.") {
			p.t.Fatalf("%s: got %s %s, want none", p.Name, ev.Method, ev.Params)
		}
	}
}

// nidOf waits until dunst shows the newest pop-up, alone, and returns
// the ID dunst gave it.
func (r *rig) nidOf() uint32 {
	r.t.Helper()
	r.d.WaitDisplayed(1, 5*time.Second)
	return r.rec.lastID()
}

var answerDecline = []map[string]string{{"id": "answer", "label": "Answer"}, {"id": "decline", "label": "Decline"}}

func action(id, tag, a string) popupEvent {
	return popupEvent{Method: popupapi.EventAction, PopupID: id, Tag: tag, Action: a}
}
func closed(id, tag, reason string) popupEvent {
	return popupEvent{Method: popupapi.EventClosed, PopupID: id, Tag: tag, Reason: reason}
}

// TestPopupEventsReachThePage: for each of Answer, Decline, a click on
// the body, expiry and dismissal on the real dunst, the page that showed
// the pop-up gets its events in order, and a page of another origin none.
func TestPopupEventsReachThePage(t *testing.T) {
	r := startRig(t)
	a := r.open("page-a", originA)
	other := r.open("page-b", originB)

	for _, pick := range []string{"answer", "decline"} {
		s := a.show(map[string]any{"tag": "chat-" + pick, "title": "New chat", "body": "From Ann", "actions": answerDecline})
		if !s.Actions {
			t.Fatal("dunst has actions, yet popup.show says the buttons are not shown")
		}
		r.d.Choose(r.nidOf(), pick)
		a.expect(action(s.PopupID, "chat-"+pick, pick), closed(s.PopupID, "chat-"+pick, "closed"))
		r.d.WaitDisplayed(0, 5*time.Second)
	}

	s := a.show(map[string]any{"tag": "body", "title": "New chat", "actions": answerDecline})
	r.nidOf()
	r.d.ClickBody()
	a.expect(action(s.PopupID, "body", "default"), closed(s.PopupID, "body", "closed"))

	s = a.show(map[string]any{"tag": "brief", "title": "Reminder", "timeoutSeconds": 0.5})
	r.nidOf()
	a.expect(closed(s.PopupID, "brief", "expired"))

	s = a.show(map[string]any{"tag": "dismiss", "title": "New chat", "actions": answerDecline})
	r.nidOf()
	r.d.Dismiss()
	a.expect(closed(s.PopupID, "dismiss", "dismissed"))

	s = a.show(map[string]any{"tag": "mine", "title": "Closed by the page"})
	r.nidOf()
	if jerr := other.call("popup.close", map[string]string{"popupId": s.PopupID}, nil); jerr == nil || jerr.Code != jsonrpc.CodePopup {
		t.Fatalf("another origin closed the page's pop-up: %v", jerr)
	}
	if jerr := a.call("popup.close", map[string]string{"popupId": s.PopupID}, nil); jerr != nil {
		t.Fatal(jerr)
	}
	a.expect(closed(s.PopupID, "mine", "closed"))
	r.d.WaitDisplayed(0, 5*time.Second)
	other.quiet(300 * time.Millisecond)
}

// TestPopupAnswerSurvivesReload: the user answers a pop-up after its page
// has gone; the next session of the same origin to say hello gets the
// answer, one of another origin does not.
func TestPopupAnswerSurvivesReload(t *testing.T) {
	r := startRig(t)
	a := r.open("page-a", originA)
	s := a.show(map[string]any{"tag": "t1", "title": "Incoming chat", "actions": answerDecline})
	nid := r.nidOf()
	a.C.Close()
	time.Sleep(100 * time.Millisecond) // the agent notices the page has gone
	r.d.Choose(nid, "answer")
	r.d.WaitDisplayed(0, 5*time.Second)

	b := r.open("page-b", originB)
	reloaded := r.open("page-a-reloaded", originA)
	reloaded.expect(action(s.PopupID, "t1", "answer"), closed(s.PopupID, "t1", "closed"))
	b.quiet(300 * time.Millisecond)
}

// TestPopupLimitsAndText: a page has at most three pop-ups open (a fourth
// replaces its oldest; a repeated tag replaces its namesake), markup in a
// title reaches dunst escaped, and icons are built-in names only.
func TestPopupLimitsAndText(t *testing.T) {
	r := startRig(t)
	a := r.open("page-a", originA)
	var ids []string
	for i, tag := range []string{"1", "2", "3"} {
		ids = append(ids, a.show(map[string]any{"tag": tag, "title": "Chat " + tag}).PopupID)
		r.d.WaitDisplayed(i+1, 5*time.Second)
	}
	a.show(map[string]any{"tag": "4", "title": "Chat 4"})
	a.expect(closed(ids[0], "1", "replaced"))
	again := a.show(map[string]any{"tag": "2", "title": "Chat 2 again"})
	a.expect(closed(ids[1], "2", "replaced"))
	r.d.WaitDisplayed(3, 5*time.Second)
	if again.PopupID == ids[1] {
		t.Error("a replacing pop-up kept the old popupId")
	}

	a.show(map[string]any{"title": `<b>Boss</b> <i>&</i>`, "body": "<u>x</u>"})
	a.expect(closed(ids[2], "3", "replaced")) // the page's limit again
	r.d.WaitDisplayed(3, 5*time.Second)
	r.d.CloseAll()
	var got *desktoptest.Shown
	for _, h := range r.d.History() {
		if strings.Contains(h.Summary, "Boss") {
			got = &h
		}
	}
	if got == nil || got.Summary != "&lt;b&gt;Boss&lt;/b&gt; &lt;i&gt;&amp;&lt;/i&gt;" || got.Body != "&lt;u&gt;x&lt;/u&gt;" {
		t.Errorf("dunst got %+v, want the markup escaped", got)
	} else if got.AppName != "BPClient · agent.example.test" {
		t.Errorf("dunst got app name %q, want the page's host in it", got.AppName)
	}

	for _, tt := range []struct {
		params map[string]any
		reason string
	}{
		{map[string]any{"title": "x", "icon": "/etc/passwd"}, jsonrpc.ReasonForbiddenPath},
		{map[string]any{"title": "x", "icon": "file:///tmp/a.png"}, jsonrpc.ReasonForbiddenPath},
		{map[string]any{"title": "x", "icon": "unknown"}, ""},
		{map[string]any{"title": ""}, ""},
		{map[string]any{"title": "x", "actions": []map[string]string{{"id": "default", "label": "Sneaky"}}}, ""},
		{map[string]any{"title": "x", "timeoutSeconds": -1}, ""},
		{map[string]any{"title": "x", "urgency": "extreme"}, ""},
	} {
		jerr := a.call("popup.show", tt.params, nil)
		if jerr == nil || jerr.Code != jsonrpc.CodeInvalidParams {
			t.Errorf("popup.show %v: %v, want invalid params", tt.params, jerr)
			continue
		}
		if d, _ := jerr.Data.(map[string]any); tt.reason != "" && d["reason"] != tt.reason {
			t.Errorf("popup.show %v: data %v, want reason %s", tt.params, jerr.Data, tt.reason)
		}
	}
	if s := a.show(map[string]any{"title": "Call", "icon": "call"}); s.PopupID == "" {
		t.Error("a built-in icon was refused")
	}
}
