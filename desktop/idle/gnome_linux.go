package idle

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"

	"github.com/openbpclient/bpclient/desktop/internal/sessionbus"
)

// The D-Bus sources of Wayland sessions, where X11 clients cannot see
// other clients' input: GNOME's Mutter IdleMonitor gives the idle time;
// KDE's ScreenSaver service (kscreenlocker) gives it as
// GetSessionIdleTime; the freedesktop ScreenSaver's GetActive whether
// the screen is locked (its screen saver is the lock screen in GNOME and
// KDE).
const (
	mutterName      = "org.gnome.Mutter.IdleMonitor"
	mutterPath      = dbus.ObjectPath("/org/gnome/Mutter/IdleMonitor/Core")
	mutterInterface = "org.gnome.Mutter.IdleMonitor"
	saverName       = "org.freedesktop.ScreenSaver"
	saverPath       = dbus.ObjectPath("/org/freedesktop/ScreenSaver")
	saverInterface  = "org.freedesktop.ScreenSaver"
)

// busIdle reads the idle time from a D-Bus service: Mutter's
// GetIdletime (t, ms) or KDE's GetSessionIdleTime (u, ms: KIdleTime's).
type busIdle struct {
	conn  *dbus.Conn
	idle  dbus.BusObject
	name  string
	read  func(ctx context.Context, obj dbus.BusObject) (uint64, error)
	locks locks
}

func readMutter(ctx context.Context, obj dbus.BusObject) (uint64, error) {
	var ms uint64
	if err := obj.CallWithContext(ctx, mutterInterface+".GetIdletime", 0).Store(&ms); err != nil {
		return 0, fmt.Errorf("idle: Mutter GetIdletime: %w", err)
	}
	return ms, nil
}

func readKDE(ctx context.Context, obj dbus.BusObject) (uint64, error) {
	var ms uint32
	if err := obj.CallWithContext(ctx, saverInterface+".GetSessionIdleTime", 0).Store(&ms); err != nil {
		return 0, fmt.Errorf("idle: ScreenSaver GetSessionIdleTime: %w", err)
	}
	return uint64(ms), nil
}

func openGnome(opts Options) (*busIdle, error) {
	return openBusIdle(opts, SourceMutter, mutterName, mutterPath, readMutter,
		"no Mutter IdleMonitor on the session bus (a Wayland session other than GNOME's?)")
}

func openKDE(opts Options) (*busIdle, error) {
	return openBusIdle(opts, SourceKDE, saverName, saverPath, readKDE,
		"no ScreenSaver GetSessionIdleTime on the session bus (a Wayland session other than KDE's?)")
}

func openBusIdle(opts Options, name, service string, path dbus.ObjectPath,
	read func(context.Context, dbus.BusObject) (uint64, error), missing string) (*busIdle, error) {
	conn, err := sessionbus.Connect(opts.BusAddress)
	if err != nil {
		return nil, unavailable("no D-Bus session bus: %v", err)
	}
	b := &busIdle{conn: conn, idle: conn.Object(service, path), name: name, read: read}
	if _, err := read(context.Background(), b.idle); err != nil {
		conn.Close()
		return nil, unavailable("%s: %v", missing, err)
	}
	b.locks = openLocks(conn, opts)
	return b, nil
}

// Read implements Source.
func (b *busIdle) Read(ctx context.Context) (Reading, error) {
	ms, err := b.read(ctx, b.idle)
	if err != nil {
		return Reading{}, err
	}
	return Reading{Idle: msToDuration(ms), Locked: b.locks.locked(ctx)}, nil
}

// Name implements Source.
func (b *busIdle) Name() string { return b.name }

// Details implements Detailer.
func (b *busIdle) Details() Details { return Details{Lock: b.locks.name()} }

// Close implements Source.
func (b *busIdle) Close() error {
	b.locks.close()
	return b.conn.Close()
}

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
