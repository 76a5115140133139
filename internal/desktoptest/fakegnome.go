//go:build linux

package desktoptest

import (
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// FakeGnome serves Mutter's IdleMonitor and the freedesktop ScreenSaver
// (with KDE's GetSessionIdleTime) with values the test sets.
type FakeGnome struct {
	mu     sync.Mutex
	idleMs uint64
	locked bool
}

type mutterObj struct{ f *FakeGnome }

func (m mutterObj) GetIdletime() (uint64, *dbus.Error) {
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	return m.f.idleMs, nil
}

type saverObj struct{ f *FakeGnome }

func (s saverObj) GetActive() (bool, *dbus.Error) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return s.f.locked, nil
}

// GetSessionIdleTime is KDE's (kscreenlocker's) idle time, in ms.
func (s saverObj) GetSessionIdleTime() (uint32, *dbus.Error) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return uint32(s.f.idleMs), nil
}

// Set is what the fakes answer from now on.
func (f *FakeGnome) Set(idleMs uint64, locked bool) {
	f.mu.Lock()
	f.idleMs, f.locked = idleMs, locked
	f.mu.Unlock()
}

// StartFakeGnome serves the fakes on a private bus and returns its
// address; withSaver false leaves the ScreenSaver out.
func StartFakeGnome(t testing.TB, withSaver bool) (*FakeGnome, string) {
	t.Helper()
	return startFake(t, true, withSaver)
}

// StartFakeKDE serves the ScreenSaver alone, with KDE's
// GetSessionIdleTime: a KDE Wayland session has no Mutter.
func StartFakeKDE(t testing.TB) (*FakeGnome, string) {
	t.Helper()
	return startFake(t, false, true)
}

func startFake(t testing.TB, withMutter, withSaver bool) (*FakeGnome, string) {
	t.Helper()
	addr := StartBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &FakeGnome{}
	serve := func(obj any, name string, path dbus.ObjectPath) {
		if err := conn.Export(obj, path, name); err != nil {
			t.Fatal(err)
		}
		if r, err := conn.RequestName(name, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("request %s: %v %v", name, r, err)
		}
	}
	if withMutter {
		serve(mutterObj{f}, "org.gnome.Mutter.IdleMonitor", "/org/gnome/Mutter/IdleMonitor/Core")
	}
	if withSaver {
		serve(saverObj{f}, "org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver")
	}
	return f, addr
}
