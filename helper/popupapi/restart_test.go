//go:build linux

package popupapi_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/popupapi"
	"github.com/openbpclient/bpclient/internal/agenttest"
)

// restarting is a notification server that restarts between pop-ups:
// its IDs start again at 1 and it forgets what it showed, silently.
type restarting struct {
	mu     sync.Mutex
	closed []notify.ID
	events chan notify.Event
}

func (r *restarting) Show(context.Context, notify.Notification) (notify.ID, error) { return 1, nil }

func (r *restarting) Close(_ context.Context, id notify.ID) error {
	r.mu.Lock()
	r.closed = append(r.closed, id)
	r.mu.Unlock()
	return nil
}

func (r *restarting) Events() <-chan notify.Event { return r.events }

func (r *restarting) Capabilities() notify.Capabilities { return notify.Capabilities{Actions: true} }

func (r *restarting) Stop() error { return nil }

// TestServerRestartForgetsOldPopups: after a restart the server gives a
// new pop-up (page B's) the ID of an old one (page A's). Page A learns
// its pop-up is gone, and cannot close page B's by closing its own; an
// action on the ID is page B's.
func TestServerRestartForgetsOldPopups(t *testing.T) {
	fake := &restarting{events: make(chan notify.Event, 4)}
	a := agenttest.Start(t, func(srv *agent.Server) []agent.Service {
		svc := popupapi.New(popupapi.Options{Logger: zerolog.Nop(), Notifier: fake, Server: srv})
		t.Cleanup(svc.Close)
		return []agent.Service{svc}
	})
	pa := &page{Session: a.Open("page-a", originA), t: t}
	pb := &page{Session: a.Open("page-b", originB), t: t}
	old := pa.show(map[string]any{"tag": "a", "title": "A"})
	nu := pb.show(map[string]any{"tag": "b", "title": "B"})
	pa.expect(closed(old.PopupID, "a", "closed"))
	if jerr := pa.call("popup.close", map[string]string{"popupId": old.PopupID}, nil); jerr == nil || jerr.Code != jsonrpc.CodePopup {
		t.Errorf("closing the forgotten pop-up: %v, want no-such-popup", jerr)
	}
	fake.mu.Lock()
	if len(fake.closed) != 0 {
		t.Errorf("the server was asked to close %v: page B's pop-up", fake.closed)
	}
	fake.mu.Unlock()
	fake.events <- notify.Event{ID: 1, Action: "default"}
	pb.expect(action(nu.PopupID, "b", "default"), closed(nu.PopupID, "b", "closed"))
	pa.quiet(200 * time.Millisecond)
}
