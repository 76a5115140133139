// Package ipc is the agent's local endpoint: a unix socket in a private
// per-user directory (peer uid checked on every accept) or, on Windows, a
// named pipe whose ACL admits only the current user. It is a leaf package
// so that bpclient-host can dial the agent without linking the agent.
package ipc

import (
	"context"
	"errors"
	"net"
)

// ErrAgentRunning means another agent of this user owns the endpoint.
var ErrAgentRunning = errors.New("another bpclient agent is already running for this user")

// DefaultAddr is this user's agent endpoint: a socket path on Unix, a pipe
// name on Windows.
func DefaultAddr() (string, error) { return defaultAddr() }

// Listen claims the endpoint at addr for this process. It fails with
// ErrAgentRunning while another process holds it. Closing the listener
// releases the endpoint.
func Listen(addr string) (net.Listener, error) { return listen(addr) }

// Dial connects to the agent at addr.
func Dial(ctx context.Context, addr string) (net.Conn, error) { return dial(ctx, addr) }
