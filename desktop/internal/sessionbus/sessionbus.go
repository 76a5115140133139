//go:build linux

// Package sessionbus connects to the user's D-Bus session bus (and the
// system bus) for the desktop packages, never starting one: godbus's
// ConnectSessionBus falls back to dbus-launch, which on a machine without
// a session bus (a service, SSH) would start a bus of its own that no
// desktop serves.
package sessionbus

import (
	"fmt"

	"github.com/godbus/dbus/v5"
)

// Connect opens a private, authenticated connection to the bus at
// address, or to the user's session bus when address is "" ($DBUS_SESSION_BUS_ADDRESS,
// else $XDG_RUNTIME_DIR/bus).
func Connect(address string) (*dbus.Conn, error) {
	var conn *dbus.Conn
	var err error
	if address == "" {
		conn, err = dbus.SessionBusPrivateNoAutoStartup()
	} else {
		conn, err = dbus.Dial(address)
	}
	return handshake(conn, err, "session bus")
}

// ConnectSystem opens a private connection to the system bus at address,
// or to the machine's own when address is "" (tests give a private one).
func ConnectSystem(address string) (*dbus.Conn, error) {
	var conn *dbus.Conn
	var err error
	if address == "" {
		conn, err = dbus.SystemBusPrivate()
	} else {
		conn, err = dbus.Dial(address)
	}
	return handshake(conn, err, "system bus")
}

func handshake(conn *dbus.Conn, err error, bus string) (*dbus.Conn, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bus, err)
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%s: authenticate: %w", bus, err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%s: hello: %w", bus, err)
	}
	return conn, nil
}
