package notify

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/godbus/dbus/v5"

	"github.com/openbpclient/bpclient/desktop/internal/sessionbus"
)

// The freedesktop Desktop Notifications Specification 1.2 names.
const (
	fdoName      = "org.freedesktop.Notifications"
	fdoPath      = dbus.ObjectPath("/org/freedesktop/Notifications")
	fdoInterface = "org.freedesktop.Notifications"
)

// fdoCloseReason maps NotificationClosed's reason codes; the rest are
// ClosedOther.
func fdoCloseReason(code uint32) CloseReason {
	switch code {
	case 1:
		return ClosedExpired
	case 2:
		return ClosedDismissed
	case 3:
		return ClosedByCall
	}
	return ClosedOther
}

func open(ctx context.Context, opts Options) (Notifier, error) {
	conn, err := sessionbus.Connect(opts.BusAddress)
	if err != nil {
		return nil, unavailable("no D-Bus session bus: %v", err)
	}
	n, err := newFreedesktop(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return n, nil
}

// freedesktop is a Notifier over org.freedesktop.Notifications. It keeps
// the connection that called Notify open for as long as it runs: the
// server sends ActionInvoked and NotificationClosed to that connection
// only (unicast), not to the bus at large.
type freedesktop struct {
	conn *dbus.Conn
	obj  dbus.BusObject
	caps Capabilities

	signals chan *dbus.Signal
	events  chan Event
	done    chan struct{}
	wg      sync.WaitGroup
	stop    sync.Once
}

func newFreedesktop(ctx context.Context, conn *dbus.Conn) (*freedesktop, error) {
	obj := conn.Object(fdoName, fdoPath)
	var capList []string
	if err := obj.CallWithContext(ctx, fdoInterface+".GetCapabilities", 0).Store(&capList); err != nil {
		return nil, unavailable("no notification server on the session bus: %v", err)
	}
	caps := Capabilities{Actions: slices.Contains(capList, "actions"), BodyMarkup: slices.Contains(capList, "body-markup")}
	var name, vendor, version, spec string
	if err := obj.CallWithContext(ctx, fdoInterface+".GetServerInformation", 0).Store(&name, &vendor, &version, &spec); err == nil {
		caps.Server = name + " " + version
	}
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchObjectPath(fdoPath), dbus.WithMatchInterface(fdoInterface)); err != nil {
		return nil, fmt.Errorf("notify: watch the notification signals: %w", err)
	}
	f := &freedesktop{conn: conn, obj: obj, caps: caps,
		signals: make(chan *dbus.Signal, 64), events: make(chan Event, 64), done: make(chan struct{})}
	conn.Signal(f.signals)
	f.wg.Add(1)
	go func() { defer f.wg.Done(); f.pump() }()
	return f, nil
}

// pump turns the server's signals into Events until Stop.
func (f *freedesktop) pump() {
	defer close(f.events)
	for {
		select {
		case <-f.done:
			return
		case sig, ok := <-f.signals:
			if !ok {
				return
			}
			ev, ok := eventOf(sig)
			if !ok {
				continue
			}
			select {
			case f.events <- ev:
			case <-f.done:
				return
			}
		}
	}
}

// eventOf reads ActionInvoked(u id, s key) and NotificationClosed(u id,
// u reason); other signals (ActivationToken) are not ours to report.
func eventOf(sig *dbus.Signal) (Event, bool) {
	if sig.Path != fdoPath || len(sig.Body) != 2 {
		return Event{}, false
	}
	id, ok := sig.Body[0].(uint32)
	if !ok {
		return Event{}, false
	}
	switch sig.Name {
	case fdoInterface + ".ActionInvoked":
		key, ok := sig.Body[1].(string)
		return Event{ID: ID(id), Action: key}, ok
	case fdoInterface + ".NotificationClosed":
		code, ok := sig.Body[1].(uint32)
		return Event{ID: ID(id), Closed: fdoCloseReason(code)}, ok
	}
	return Event{}, false
}

// Show implements Notifier.
func (f *freedesktop) Show(ctx context.Context, n Notification) (ID, error) {
	title, body := n.Title, n.Body
	if f.caps.BodyMarkup {
		// The spec allows markup in the body only, but servers such as
		// dunst render it in the summary too: escape both.
		title, body = EscapeMarkup(title), EscapeMarkup(body)
	}
	var actions []string
	if f.caps.Actions {
		for _, a := range n.Actions {
			actions = append(actions, a.ID, a.Label)
		}
	}
	hints := map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(n.Urgency))}
	timeout := int32(-1) // the server's default
	switch {
	case n.Timeout > 0:
		timeout = int32(n.Timeout.Milliseconds())
	case n.Timeout < 0:
		timeout = 0 // never expires
	}
	var id uint32
	err := f.obj.CallWithContext(ctx, fdoInterface+".Notify", 0,
		n.AppName, uint32(0), n.Icon, title, body, actions, hints, timeout).Store(&id)
	if err != nil {
		return 0, fmt.Errorf("notify: show %q: %w", n.Title, err)
	}
	return ID(id), nil
}

// Close implements Notifier.
func (f *freedesktop) Close(ctx context.Context, id ID) error {
	if err := f.obj.CallWithContext(ctx, fdoInterface+".CloseNotification", 0, uint32(id)).Err; err != nil {
		return fmt.Errorf("notify: close %d: %w", id, err)
	}
	return nil
}

// Events implements Notifier.
func (f *freedesktop) Events() <-chan Event { return f.events }

// Capabilities implements Notifier.
func (f *freedesktop) Capabilities() Capabilities { return f.caps }

// Stop implements Notifier.
func (f *freedesktop) Stop() error {
	var err error
	f.stop.Do(func() {
		close(f.done)
		f.conn.RemoveSignal(f.signals)
		err = f.conn.Close()
		f.wg.Wait()
	})
	return err
}
