// Package ipc is the agent's local endpoint: a unix socket in a private
// per-user directory (peer uid checked on every accept) or, on Windows, a
// named pipe whose ACL admits only the current user. It is a leaf package
// so that bpclient-host can dial the agent without linking the agent.
//
// Both ends check the other: the listener hangs up on other users, and
// Dial makes sure the endpoint is served by this user before it returns a
// connection, so nothing (a SIP password in phone.configure) is ever
// written to an impostor that claimed the path or pipe name first.
package ipc

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// ErrAgentRunning means another agent of this user owns the endpoint.
var ErrAgentRunning = errors.New("another bpclient agent is already running for this user")

// ErrNotOurs means the endpoint, or the folder it lives in, belongs to
// another user: someone may be posing as the agent. Dial returns it before
// writing a byte; Listen returns it instead of serving from a place that
// someone else controls.
var ErrNotOurs = errors.New("the agent's endpoint belongs to another user")

// DefaultAddr is this user's agent endpoint: a socket path on Unix, a pipe
// name on Windows.
func DefaultAddr() (string, error) { return defaultAddr() }

// Listen claims the endpoint at addr for this process. It fails with
// ErrAgentRunning while another process of this user holds it, and with
// ErrNotOurs when another user holds it or owns its folder. Closing the
// listener releases the endpoint.
func Listen(addr string) (net.Listener, error) { return listen(addr) }

// Dial connects to the agent at addr. It fails with ErrNotOurs, without
// having written anything, when the endpoint is served by another user.
func Dial(ctx context.Context, addr string) (net.Conn, error) { return dial(ctx, addr) }

// servedByOther is the error for an endpoint at addr served by server
// (a uid or a SID) when we are self.
func servedByOther(addr, server, self string) error {
	return notOurs("%s is served by %s, not by you (%s): another user may be posing as the agent; not connecting",
		addr, server, self)
}

// notOursError is a refusal whose message says it all; it is ErrNotOurs.
type notOursError string

func (e notOursError) Error() string        { return string(e) }
func (e notOursError) Is(target error) bool { return target == ErrNotOurs }

func notOurs(format string, a ...any) error { return notOursError(fmt.Sprintf(format, a...)) }

// checkServer is the decision both OSes make once connected: the server
// must be self. An unknown server (the OS would not say) is refused too.
func checkServer(addr, server string, lookupErr error, self string) error {
	if lookupErr != nil {
		return notOurs("%s: cannot learn who serves it (%v); not connecting", addr, lookupErr)
	}
	if server != self {
		return servedByOther(addr, server, self)
	}
	return nil
}
