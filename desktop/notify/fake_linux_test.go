package notify_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/internal/desktoptest"
)

// fakeServer is an org.freedesktop.Notifications of our own: it keeps
// what Notify got, and its capabilities are the test's.
type fakeServer struct {
	conn *dbus.Conn
	caps []string

	mu   sync.Mutex
	got  []notified
	next uint32
}

type notified struct {
	summary, body string
	actions       []string
	timeout       int32
}

func (f *fakeServer) GetCapabilities() ([]string, *dbus.Error) { return f.caps, nil }

func (f *fakeServer) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "fake", "bpclient tests", "0.1", "1.2", nil
}

func (f *fakeServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.got = append(f.got, notified{summary: summary, body: body, actions: actions, timeout: timeout})
	return f.next, nil
}

func (f *fakeServer) CloseNotification(id uint32) *dbus.Error {
	f.emit("NotificationClosed", id, uint32(3))
	return nil
}

func (f *fakeServer) emit(member string, args ...any) {
	_ = f.conn.Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications."+member, args...)
}

func startFake(t *testing.T, caps ...string) (*fakeServer, string) {
	t.Helper()
	addr := desktoptest.StartBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &fakeServer{conn: conn, caps: caps}
	if err := conn.Export(f, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request name: %v %v", r, err)
	}
	return f, addr
}

// TestPlainServer: a server without actions and without markup gets no
// buttons (the page shows its own) and the text as it is; its close
// reasons map, unknown ones to "undefined", and malformed signals are
// ignored.
func TestPlainServer(t *testing.T) {
	f, addr := startFake(t, "body")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := notify.Open(ctx, notify.Options{BusAddress: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if c := n.Capabilities(); c.Actions || c.BodyMarkup || c.Server != "fake 0.1" {
		t.Fatalf("capabilities %+v", c)
	}
	note := call
	note.Title, note.Timeout = "<b>Ann</b> & co", 1500*time.Millisecond
	id, err := n.Show(ctx, note)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	got := f.got[0]
	f.mu.Unlock()
	if len(got.actions) != 0 || got.summary != "<b>Ann</b> & co" || got.timeout != 1500 {
		t.Errorf("a plain server got %+v, want no actions, the text as is and 1500 ms", got)
	}

	f.emit("NotificationClosed", "not an id", uint32(1)) // malformed: ignored
	f.emit("NotificationClosed", uint32(id), uint32(9))
	if ev := next(t, n); ev.ID != id || ev.Closed != notify.ClosedOther {
		t.Errorf("reason 9: %+v, want undefined", ev)
	}
	f.emit("ActionInvoked", uint32(id), "answer")
	if ev := next(t, n); ev.ID != id || ev.Action != "answer" {
		t.Errorf("action: %+v", ev)
	}
	if err := n.Close(ctx, id); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, n); ev.ID != id || ev.Closed != notify.ClosedByCall {
		t.Errorf("after Close: %+v", ev)
	}
}

// TestNoServer: a bus without a notification server is ErrUnavailable.
func TestNoServer(t *testing.T) {
	addr := desktoptest.StartBus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := notify.Open(ctx, notify.Options{BusAddress: addr}); err == nil || !errors.Is(err, notify.ErrUnavailable) {
		t.Fatalf("Open on a bus without a server: %v, want ErrUnavailable", err)
	}
}
