package srtpmedia

import (
	"errors"
	"net"
	"sync"
	"time"
)

// conn is a net.PacketConn that reads and writes plaintext RTP while the
// wrapped connection carries SRTP: the tests' way to put a Transformer on
// a real socket (sip's RTP path calls the Transformer itself). ReadFrom
// skips packets that fail to unprotect (they are counted in the
// Transformer's Stats); WriteTo protects before sending.
type conn struct {
	pc net.PacketConn
	t  *Transformer

	rMu  sync.Mutex
	rBuf []byte
	wMu  sync.Mutex
	wBuf []byte
}

// maxPacket bounds a packet on the wire (UDP on Ethernet with headroom).
const maxPacket = 1600

// newConn wraps pc. Closing the conn closes pc.
func newConn(pc net.PacketConn, t *Transformer) *conn {
	return &conn{pc: pc, t: t, rBuf: make([]byte, maxPacket), wBuf: make([]byte, 0, maxPacket)}
}

// ReadFrom returns the next packet that authenticates, decrypted into p.
func (c *conn) ReadFrom(p []byte) (int, net.Addr, error) {
	c.rMu.Lock()
	defer c.rMu.Unlock()
	for {
		n, addr, err := c.pc.ReadFrom(c.rBuf)
		if err != nil {
			return 0, addr, err
		}
		out, err := c.t.UnprotectRTP(p[:0], c.rBuf[:n])
		if err != nil {
			continue // counted; the stream goes on
		}
		if len(out) > len(p) {
			return copy(p, out), addr, errors.New("srtp: read buffer too small")
		}
		if len(out) > 0 && &out[0] != &p[0] {
			copy(p, out)
		}
		return len(out), addr, nil
	}
}

// WriteTo protects p and sends it to addr.
func (c *conn) WriteTo(p []byte, addr net.Addr) (int, error) {
	c.wMu.Lock()
	defer c.wMu.Unlock()
	out, err := c.t.ProtectRTP(c.wBuf[:0], p)
	if err != nil {
		return 0, err
	}
	if cap(out) > cap(c.wBuf) {
		c.wBuf = out[:0]
	}
	if _, err := c.pc.WriteTo(out, addr); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *conn) Close() error                      { return c.pc.Close() }
func (c *conn) LocalAddr() net.Addr               { return c.pc.LocalAddr() }
func (c *conn) SetReadDeadline(t time.Time) error { return c.pc.SetReadDeadline(t) }
