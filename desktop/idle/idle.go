// Package idle reads how long the user has not touched the keyboard or
// the pointer: only that time, never which keys or where the pointer is.
// One small interface, Source, with a body per OS: the X11 screen-saver
// extension on Linux under X11 (pure Go over the X protocol), GNOME's
// Mutter IdleMonitor or KDE's ScreenSaver GetSessionIdleTime over D-Bus
// in Wayland sessions, the lock from the freedesktop ScreenSaver and
// logind's LockedHint; on Windows GetLastInputInfo and the session's lock
// state (pure Go over user32 and wtsapi32); on macOS IOKit's HIDIdleTime
// through purego (untested on a Mac: see idle_darwin.go).
package idle

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Reading is one look at the user's activity.
type Reading struct {
	// Idle is the time since the last keyboard or pointer input.
	Idle time.Duration
	// Locked: the session is locked (from a source that knows).
	Locked bool
}

// Source reads the idle time. Its methods are safe for concurrent use.
type Source interface {
	Read(ctx context.Context) (Reading, error)
	// Name says which source this is ("x11-screensaver"), for
	// helper.status.
	Name() string
	Close() error
}

// ErrUnavailable is returned by Open where this build or this session
// has no idle source; the error says why.
var ErrUnavailable = errors.New("input idle time is unavailable")

func unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnavailable, fmt.Sprintf(format, args...))
}

// Options configure Open.
type Options struct {
	// Display is the X display (Linux); "" means $DISPLAY.
	Display string
	// BusAddress is the D-Bus session bus of the D-Bus sources (Mutter's
	// idle time, the ScreenSaver's lock); "" means the user's own.
	BusAddress string
	// SystemBusAddress is the system bus of logind's LockedHint (Linux);
	// "" means the machine's own.
	SystemBusAddress string
	// Source forces a source: SourceX11, SourceMutter or SourceKDE; ""
	// chooses (under Wayland or without an X display Mutter, else KDE's
	// ScreenSaver; else X11).
	Source string
}

// The sources, by the names Source.Name gives.
const (
	SourceX11     = "x11-screensaver"
	SourceMutter  = "mutter-idlemonitor"
	SourceKDE     = "kde-screensaver-idletime"
	SourceWindows = "windows-lastinputinfo"
	SourceMacOS   = "macos-hididletime"
)

// Details are what helper.status shows of a source beyond its name.
type Details struct {
	// Lock names where the lock state comes from; "" when nothing in
	// this session says so (never locked as far as the source knows).
	Lock string
	// Note is a caveat for the status ("untested on a Mac").
	Note string
}

// Detailer is a Source that tells its Details.
type Detailer interface{ Details() Details }

func msToDuration(ms uint64) time.Duration {
	if ms > uint64(1<<63-1)/uint64(time.Millisecond) {
		return 1<<63 - 1
	}
	return time.Duration(ms) * time.Millisecond
}

// Open connects to this session's idle source.
func Open(opts Options) (Source, error) { return open(opts) }
