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
	conn  *dbus.Conn
	idle  dbus.BusObject
	saver dbus.BusObject
}

func openGnome(busAddress string) (*gnome, error) {
	conn, err := sessionbus.Connect(busAddress)
	if err != nil {
		return nil, unavailable("no D-Bus session bus: %v", err)
	}
	g := &gnome{conn: conn, idle: conn.Object(mutterName, mutterPath), saver: conn.Object(saverName, saverPath)}
	if _, err := g.Read(context.Background()); err != nil {
		conn.Close()
		return nil, unavailable("no Mutter IdleMonitor on the session bus (a Wayland session other than GNOME's?): %v", err)
	}
	return g, nil
}

// Read implements Source. A session without the ScreenSaver interface is
// never locked as far as this source knows.
func (g *gnome) Read(ctx context.Context) (Reading, error) {
	var ms uint64
	if err := g.idle.CallWithContext(ctx, mutterInterface+".GetIdletime", 0).Store(&ms); err != nil {
		return Reading{}, fmt.Errorf("idle: Mutter GetIdletime: %w", err)
	}
	var locked bool
	if err := g.saver.CallWithContext(ctx, saverInterface+".GetActive", 0).Store(&locked); err != nil {
		locked = false
	}
	return Reading{Idle: msToDuration(ms), Locked: locked}, nil
}

// Name implements Source.
func (g *gnome) Name() string { return "mutter-idlemonitor" }

// Close implements Source.
func (g *gnome) Close() error { return g.conn.Close() }
