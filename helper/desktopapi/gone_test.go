package desktopapi

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// goneSessions is an agent whose page session has just closed: its
// SessionClosed is still on the way, and SendToSession finds nobody.
type goneSessions struct{}

func (goneSessions) Broadcast(string, any)                   {}
func (goneSessions) BroadcastTo(agent.Audience, string, any) {}
func (goneSessions) SendToSession(string, string, any) bool  { return false }

// TestRequestForAPageThatHasGoneFailsAtOnce: when the request cannot be
// sent to the attached page's session, the application gets "provider
// left" at once, not after the timeout (which never fires here).
func TestRequestForAPageThatHasGoneFailsAtOnce(t *testing.T) {
	never := func(time.Duration, func()) func() bool { return func() bool { return true } }
	s := New(Options{Logger: zerolog.Nop(), Events: goneSessions{}, AfterFunc: never})
	methods := s.Methods()
	ctx := context.Background()
	page := &agent.Call{Kind: "page", PageOrigin: "https://desk.example", SessionID: "page-1",
		Params: json.RawMessage(`{"agent":{"id":"a-1"},"functions":["makeCall"]}`)}
	if _, err := methods["desktop.attach"](ctx, page); err != nil {
		t.Fatal(err)
	}
	app := &agent.Call{Kind: "local", SessionID: "app-1", DesktopApp: true, Client: "CRM",
		Params: json.RawMessage(`{"number":"1002"}`)}
	done := make(chan *jsonrpc.Error, 1)
	go func() {
		_, err := methods["desktop.makeCall"](ctx, app)
		done <- err
	}()
	select {
	case err := <-done:
		data, _ := err.Data.(map[string]string)
		if err == nil || err.Code != jsonrpc.CodeNoDesktopSession || data["reason"] != jsonrpc.ReasonProviderLeft {
			t.Fatalf("makeCall for a page that has gone: %v, want code %d reason %s", err, jsonrpc.CodeNoDesktopSession, jsonrpc.ReasonProviderLeft)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("makeCall still waits for a page whose session has gone")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) != 0 {
		t.Fatalf("%d requests still pending", len(s.pending))
	}
}
