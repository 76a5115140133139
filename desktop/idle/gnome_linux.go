package idle

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"

	"github.com/openbpclient/bpclient/desktop/internal/sessionbus"
)

// The D-Bus sources of Wayland sessions, where X11 clients cannot see
// other clients' input: GNOME's Mutter IdleMonitor gives the idle time,
// the freedesktop ScreenSaver interface whether the screen is locked
// (its screen saver is the lock screen in GNOME and KDE).
const (
	mutterName      = "org.gnome.Mutter.IdleMonitor"
	mutterPath      = dbus.ObjectPath("/org/gnome/Mutter/IdleMonitor/Core")
	mutterInterface = "org.gnome.Mutter.IdleMonitor"
	saverName       = "org.freedesktop.ScreenSaver"
	saverPath       = dbus.ObjectPath("/org/freedesktop/ScreenSaver")
	saverInterface  = "org.freedesktop.ScreenSaver"
)

// gnome reads Mutter's GetIdletime and the ScreenSaver's GetActive.
type gnome struct {
	conn *dbus.Conn
	idle dbus.BusObject
	lock *screenLock
}

func openGnome(busAddress string) (*gnome, error) {
	conn, err := sessionbus.Connect(busAddress)
	if err != nil {
		return nil, unavailable("no D-Bus session bus: %v", err)
	}
	g := &gnome{conn: conn, idle: conn.Object(mutterName, mutterPath), lock: &screenLock{obj: conn.Object(saverName, saverPath)}}
	if _, err := g.Read(context.Background()); err != nil {
		conn.Close()
		return nil, unavailable("no Mutter IdleMonitor on the session bus (a Wayland session other than GNOME's?): %v", err)
	}
	return g, nil
}

// Read implements Source.
func (g *gnome) Read(ctx context.Context) (Reading, error) {
	var ms uint64
	if err := g.idle.CallWithContext(ctx, mutterInterface+".GetIdletime", 0).Store(&ms); err != nil {
		return Reading{}, fmt.Errorf("idle: Mutter GetIdletime: %w", err)
	}
	return Reading{Idle: msToDuration(ms), Locked: g.lock.locked(ctx)}, nil
}

// Name implements Source.
func (g *gnome) Name() string { return SourceMutter }

// Close implements Source.
func (g *gnome) Close() error { return g.conn.Close() }

// screenLock asks the freedesktop ScreenSaver whether it is active (the
// lock screen, in GNOME and KDE). A nil *screenLock, or a session without
// the service, is never locked as far as it knows.
type screenLock struct {
	conn *dbus.Conn // owned: set when the lock has a connection of its own
	obj  dbus.BusObject
}

// openScreenLock connects for the X11 source; nil without a session bus.
func openScreenLock(busAddress string) *screenLock {
	conn, err := sessionbus.Connect(busAddress)
	if err != nil {
		return nil
	}
	return &screenLock{conn: conn, obj: conn.Object(saverName, saverPath)}
}

func (l *screenLock) locked(ctx context.Context) bool {
	if l == nil {
		return false
	}
	var active bool
	if err := l.obj.CallWithContext(ctx, saverInterface+".GetActive", 0).Store(&active); err != nil {
		return false
	}
	return active
}

func (l *screenLock) close() {
	if l != nil && l.conn != nil {
		l.conn.Close()
	}
}
