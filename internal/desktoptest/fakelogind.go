//go:build linux

package desktoptest

import (
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// FakeLogind serves the part of org.freedesktop.login1 that the idle
// source reads: the session of any caller, and its LockedHint.
type FakeLogind struct {
	mu     sync.Mutex
	locked bool
}

// fakeSessionPath is the session every caller is in.
const fakeSessionPath = dbus.ObjectPath("/org/freedesktop/login1/session/_31")

type logindManager struct{}

func (logindManager) GetSessionByPID(uint32) (dbus.ObjectPath, *dbus.Error) {
	return fakeSessionPath, nil
}
func (logindManager) GetSession(string) (dbus.ObjectPath, *dbus.Error) { return fakeSessionPath, nil }

// sessionProps is the session's org.freedesktop.DBus.Properties.
type sessionProps struct{ f *FakeLogind }

func (p sessionProps) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	if iface != "org.freedesktop.login1.Session" || name != "LockedHint" {
		return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.UnknownProperty", []any{name})
	}
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	return dbus.MakeVariant(p.f.locked), nil
}

// SetLocked is the LockedHint from now on.
func (f *FakeLogind) SetLocked(locked bool) {
	f.mu.Lock()
	f.locked = locked
	f.mu.Unlock()
}

// StartFakeLogind serves the fake on a private bus (standing in for the
// system bus) and returns its address.
func StartFakeLogind(t testing.TB) (*FakeLogind, string) {
	t.Helper()
	addr := StartBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &FakeLogind{}
	if err := conn.Export(logindManager{}, "/org/freedesktop/login1", "org.freedesktop.login1.Manager"); err != nil {
		t.Fatal(err)
	}
	if err := conn.Export(sessionProps{f}, fakeSessionPath, "org.freedesktop.DBus.Properties"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName("org.freedesktop.login1", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request org.freedesktop.login1: %v %v", r, err)
	}
	return f, addr
}
