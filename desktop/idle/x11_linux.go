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
		return openGnome(opts)
	case SourceKDE:
		return openKDE(opts)
	case SourceX11:
		return openX11(display, opts)
	case "":
	default:
		return nil, unavailable("no idle source %q", opts.Source)
	}
	if os.Getenv("WAYLAND_DISPLAY") != "" || display == "" {
		// Under Wayland an X11 client (Xwayland) sees only the input of
		// X11 windows: ask the compositor.
		g, err := openGnome(opts)
		if err == nil {
			return g, nil
		}
		k, kerr := openKDE(opts)
		switch {
		case kerr == nil:
			return k, nil
		case display == "":
			return nil, fmt.Errorf("%w; %v (and no X display: $DISPLAY is not set)", err, kerr)
		}
	}
	return openX11(display, opts)
}

// x11 reads MsSinceUserInput of the MIT-SCREEN-SAVER extension's
// QueryInfo on the root window: the X server's own idle counter, which
// every input device resets. It never selects input events.
type x11 struct {
	mu   sync.Mutex
	conn *xgb.Conn
	root xproto.Drawable
	// locks say whether the session is locked: the session bus's
	// ScreenSaver (GNOME and KDE on X11 too), logind's LockedHint.
	locks locks
}

func openX11(display string, opts Options) (*x11, error) {
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
	return &x11{conn: conn, root: xproto.Drawable(root), locks: openLocks(nil, opts)}, nil
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
	return Reading{Idle: msToDuration(uint64(info.MsSinceUserInput)), Locked: x.locks.locked(ctx)}, nil
}

// Name implements Source.
func (x *x11) Name() string { return SourceX11 }

// Details implements Detailer.
func (x *x11) Details() Details { return Details{Lock: x.locks.name()} }

// Close implements Source.
func (x *x11) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.conn.Close()
	x.locks.close()
	return nil
}
