package idle

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/screensaver"
	"github.com/jezek/xgb/xproto"
)

func open(opts Options) (Source, error) {
	display := opts.Display
	if display == "" {
		display = os.Getenv("DISPLAY")
	}
	switch opts.Source {
	case SourceMutter:
		return openGnome(opts.BusAddress)
	case SourceX11:
		return openX11(display, opts.BusAddress)
	case "":
	default:
		return nil, unavailable("no idle source %q", opts.Source)
	}
	if os.Getenv("WAYLAND_DISPLAY") != "" || display == "" {
		// Under Wayland an X11 client (Xwayland) sees only the input of
		// X11 windows: ask the compositor.
		g, err := openGnome(opts.BusAddress)
		switch {
		case err == nil:
			return g, nil
		case display == "":
			return nil, fmt.Errorf("%w (and no X display: $DISPLAY is not set)", err)
		}
	}
	return openX11(display, opts.BusAddress)
}

// x11 reads MsSinceUserInput of the MIT-SCREEN-SAVER extension's
// QueryInfo on the root window: the X server's own idle counter, which
// every input device resets. It never selects input events.
type x11 struct {
	mu   sync.Mutex
	conn *xgb.Conn
	root xproto.Drawable
	// lock, when the session bus has a ScreenSaver (GNOME and KDE on X11
	// too), says whether the screen is locked; nil: never locked.
	lock *screenLock
}

func openX11(display, busAddress string) (*x11, error) {
	if display == "" {
		return nil, unavailable("no X display ($DISPLAY is not set)")
	}
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, unavailable("cannot reach the X display %s: %v", display, err)
	}
	if err := screensaver.Init(conn); err != nil {
		conn.Close()
		return nil, unavailable("the X server has no MIT-SCREEN-SAVER extension: %v", err)
	}
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	return &x11{conn: conn, root: xproto.Drawable(root), lock: openScreenLock(busAddress)}, nil
}

// Read implements Source. The X round trip has no context of its own: a
// dead connection fails it at once.
func (x *x11) Read(ctx context.Context) (Reading, error) {
	if err := ctx.Err(); err != nil {
		return Reading{}, err
	}
	x.mu.Lock()
	info, err := screensaver.QueryInfo(x.conn, x.root).Reply()
	x.mu.Unlock()
	if err != nil {
		return Reading{}, fmt.Errorf("idle: X screen-saver query: %w", err)
	}
	return Reading{Idle: msToDuration(uint64(info.MsSinceUserInput)), Locked: x.lock.locked(ctx)}, nil
}

// Name implements Source.
func (x *x11) Name() string { return SourceX11 }

// Close implements Source.
func (x *x11) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.conn.Close()
	x.lock.close()
	return nil
}
