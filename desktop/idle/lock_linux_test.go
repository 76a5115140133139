package idle_test

import (
	"context"
	"testing"

	"github.com/openbpclient/bpclient/desktop/idle"
	"github.com/openbpclient/bpclient/internal/desktoptest"
)

// TestKDEWaylandIdleTime: a session bus with no Mutter but KDE's
// ScreenSaver (a KDE Wayland session) gives its GetSessionIdleTime, and
// its GetActive is the lock.
func TestKDEWaylandIdleTime(t *testing.T) {
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")
	f, addr := desktoptest.StartFakeKDE(t)
	src, err := idle.Open(idle.Options{BusAddress: addr, SystemBusAddress: "unix:path=/nonexistent"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Name() != idle.SourceKDE || src.(idle.Detailer).Details().Lock != idle.LockScreenSaver {
		t.Errorf("source %s, details %+v; want %s locked by the ScreenSaver", src.Name(), src.(idle.Detailer).Details(), idle.SourceKDE)
	}
	for _, want := range []idle.Reading{{Idle: 2500e6}, {Idle: 61e9, Locked: true}, {Idle: 0}} {
		f.Set(uint64(want.Idle.Milliseconds()), want.Locked)
		if got, err := src.Read(context.Background()); err != nil || got != want {
			t.Errorf("Read = %+v, %v; want %+v", got, err, want)
		}
	}
}

// TestLogindLockedHint: logind's LockedHint locks the session where the
// ScreenSaver does not say so (a Wayland locker, loginctl lock-session).
func TestLogindLockedHint(t *testing.T) {
	t.Setenv("XDG_SESSION_ID", "")
	fake, addr := desktoptest.StartFakeGnome(t, false)
	logind, sysAddr := desktoptest.StartFakeLogind(t)
	src, err := idle.Open(idle.Options{BusAddress: addr, SystemBusAddress: sysAddr, Source: idle.SourceMutter})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if d := src.(idle.Detailer).Details(); d.Lock != idle.LockLogind {
		t.Errorf("lock source %q, want %q", d.Lock, idle.LockLogind)
	}
	fake.Set(1000, false)
	for _, locked := range []bool{false, true, false} {
		logind.SetLocked(locked)
		if r, err := src.Read(context.Background()); err != nil || r.Locked != locked {
			t.Errorf("LockedHint %v: Read = %+v, %v", locked, r, err)
		}
	}
}
