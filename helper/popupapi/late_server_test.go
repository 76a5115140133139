//go:build linux

package popupapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/popupapi"
	"github.com/openbpclient/bpclient/internal/agenttest"
	"github.com/openbpclient/bpclient/internal/desktoptest"
)

// TestNotificationServerAfterAgent: the agent starts in a session whose
// notification server is not up yet (popup.show is unavailable, saying
// why); once dunst has started, the next popup.show finds it, and its
// buttons work.
func TestNotificationServerAfterAgent(t *testing.T) {
	d := desktoptest.StartWithoutServer(t)
	if d == nil {
		return
	}
	var rec *recording // the notifier once found, noting dunst's IDs
	open := func(ctx context.Context) (notify.Notifier, error) {
		n, err := notify.Open(ctx, notify.Options{BusAddress: d.BusAddress})
		if err != nil {
			return nil, err
		}
		rec = &recording{Notifier: n}
		return rec, nil
	}
	n, err := open(context.Background())
	if !errors.Is(err, notify.ErrUnavailable) {
		t.Fatalf("notify.Open without a server: %v, %v; want ErrUnavailable", n, err)
	}
	a := agenttest.Start(t, func(srv *agent.Server) []agent.Service {
		pop := popupapi.New(popupapi.Options{Logger: zerolog.Nop(), Unavailable: err, Open: open, Server: srv})
		t.Cleanup(pop.Close)
		return []agent.Service{pop}
	})
	p := &page{Session: a.Open("page", originA), t: t}
	params := map[string]any{"title": "Chat from Bob", "actions": []map[string]string{{"id": "reply", "label": "Reply"}}}
	var res shown
	jerr := p.call("popup.show", params, &res)
	if jerr == nil || jerr.Code != jsonrpc.CodePopup {
		t.Fatalf("popup.show before the server: %+v, want -32013 unavailable", jerr)
	}

	d.StartDunst()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if jerr = p.call("popup.show", params, &res); jerr == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("popup.show 5 s after dunst started: %v", jerr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !res.Actions {
		t.Errorf("popup.show %+v: want dunst's buttons", res)
	}
	d.WaitDisplayed(1, 5*time.Second)
	d.Choose(rec.lastID(), "reply")
	p.expect(popupEvent{Method: popupapi.EventAction, PopupID: res.PopupID, Action: "reply"},
		popupEvent{Method: popupapi.EventClosed, PopupID: res.PopupID, Reason: "closed"})
}
