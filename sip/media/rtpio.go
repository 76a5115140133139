package media

import (
	"net"
	"net/netip"
)

// The media loops send and receive through rtpSender and rtpReceiver,
// each owned by one goroutine. Where the OS allows (rtpio_linux.go) they
// make their system calls without the Go scheduler's bookkeeping: a
// datagram call on a non-blocking socket returns at once, and the
// bookkeeping of an ordinary one (entersyscall) wakes the runtime's
// monitor thread from its sleep at every packet, which doubled the
// wake-ups of a call. Elsewhere they are the plain net calls.

// portableSender sends with the net package.
type portableSender struct{ c *net.UDPConn }

func (s portableSender) writeTo(b []byte, to netip.AddrPort) error {
	_, err := s.c.WriteToUDPAddrPort(b, to)
	return err
}

// portableReceiver receives with the net package.
type portableReceiver struct{ c *net.UDPConn }

func (r portableReceiver) readFrom(b []byte) (int, netip.AddrPort, error) {
	return r.c.ReadFromUDPAddrPort(b)
}

type rtpSender interface {
	writeTo(b []byte, to netip.AddrPort) error
}

type rtpReceiver interface {
	readFrom(b []byte) (int, netip.AddrPort, error)
}
