package dtlssrtp

import (
	"net"
	"os"
	"sync"
	"time"
)

// endpoint is the net.PacketConn pion's DTLS runs over: reads come from
// Deliver (the media reader hands over DTLS datagrams), writes go out on
// the shared media socket to the peer.
type endpoint struct {
	pc     net.PacketConn
	remote net.Addr
	in     chan []byte

	mu       sync.Mutex
	closed   chan struct{}
	isClosed bool
	// rdl fires when the read deadline passes; a new deadline replaces it
	rdl      chan struct{}
	rdlTimer *time.Timer
	gen      uint64
}

// queueLen bounds datagrams waiting for pion: a handshake flight is a few
// datagrams, and beyond that a flood is dropped rather than buffered.
const queueLen = 32

func newEndpoint(pc net.PacketConn, remote net.Addr) *endpoint {
	return &endpoint{pc: pc, remote: remote, in: make(chan []byte, queueLen), closed: make(chan struct{}), rdl: make(chan struct{})}
}

func (e *endpoint) deliver(b []byte) {
	c := append([]byte(nil), b...)
	select {
	case e.in <- c:
	case <-e.closed:
	default:
	}
}

func (e *endpoint) ReadFrom(p []byte) (int, net.Addr, error) {
	e.mu.Lock()
	dl := e.rdl
	e.mu.Unlock()
	select {
	case b := <-e.in:
		return copy(p, b), e.remote, nil
	case <-e.closed:
		return 0, nil, net.ErrClosed
	case <-dl:
		return 0, nil, os.ErrDeadlineExceeded
	}
}

func (e *endpoint) WriteTo(p []byte, _ net.Addr) (int, error) {
	select {
	case <-e.closed:
		return 0, net.ErrClosed
	default:
	}
	// Always to the signalled peer address: pion passes back what
	// ReadFrom returned, which is that address too.
	return e.pc.WriteTo(p, e.remote)
}

func (e *endpoint) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.isClosed {
		e.isClosed = true
		close(e.closed)
		if e.rdlTimer != nil {
			e.rdlTimer.Stop()
		}
	}
	return nil
}

func (e *endpoint) LocalAddr() net.Addr { return e.pc.LocalAddr() }

func (e *endpoint) SetDeadline(t time.Time) error { return e.SetReadDeadline(t) }

// SetReadDeadline makes a blocked or later ReadFrom return once t has
// passed; pion cancels its reads this way. Zero clears it.
func (e *endpoint) SetReadDeadline(t time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rdlTimer != nil {
		e.rdlTimer.Stop()
		e.rdlTimer = nil
	}
	// A timer that already fired for an older deadline finds another
	// generation and does nothing.
	e.gen++
	fired := false
	select {
	case <-e.rdl:
		fired = true
	default:
	}
	switch d := time.Until(t); {
	case t.IsZero() || d > 0:
		if fired {
			e.rdl = make(chan struct{})
		}
		if t.IsZero() {
			return nil
		}
		gen, ch := e.gen, e.rdl
		e.rdlTimer = time.AfterFunc(d, func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			if e.gen == gen {
				close(ch)
			}
		})
	case !fired:
		close(e.rdl) // wakes a reader blocked on it
	}
	return nil
}

// SetWriteDeadline is a no-op: writes go straight to a UDP socket and do
// not block.
func (e *endpoint) SetWriteDeadline(time.Time) error { return nil }
