package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

// Who may send us SIP (issue 9): the servers we register with (every one
// of the failover list), the outbound proxy and Config.TrustedPeers.
// Anything else is dropped before sipgo parses it, so a stranger's
// request never creates a transaction, a call or a response: a port scan
// gets no answer, a flood costs no file descriptor or RTP port.
//
// What identifies a server: on UDP its address and port, since the
// servers we know send from the port they listen on, and on one host
// (loopback, a PBX beside other services) the address alone would admit
// every other process there. On TCP and TLS the address only: a
// connection's source port is ephemeral, and the connections we dial are
// to the server's own port anyway.

// errStranger ends a TCP or TLS connection that is not from a trusted
// peer (sipgo closes a connection whose read filter fails).
var errStranger = errors.New("sip from a peer that is not our server")

// peerSet is who may send us SIP.
type peerSet struct {
	exact   map[netip.AddrPort]bool // UDP: the address and port
	anyPort map[netip.Addr]bool     // any port, any transport
	hosts   map[netip.Addr]bool     // TCP and TLS: servers' addresses
	nets    []netip.Prefix
}

func newPeerSet() *peerSet {
	return &peerSet{exact: map[netip.AddrPort]bool{}, anyPort: map[netip.Addr]bool{}, hosts: map[netip.Addr]bool{}}
}

// allows reports whether a message from addr over a stream (TCP, TLS) or
// a datagram may be read.
func (s *peerSet) allows(stream bool, addr net.Addr) bool {
	ap, ok := addrPort(addr)
	if !ok {
		return false
	}
	ip := ap.Addr()
	if s.anyPort[ip] || (stream && s.hosts[ip]) || (!stream && s.exact[ap]) {
		return true
	}
	for _, n := range s.nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func addrPort(a net.Addr) (netip.AddrPort, bool) {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.UDPAddr:
		ap = a.AddrPort()
	case *net.TCPAddr:
		ap = a.AddrPort()
	default:
		if a == nil {
			return ap, false
		}
		var err error
		if ap, err = netip.ParseAddrPort(a.String()); err != nil {
			return ap, false
		}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), ap.IsValid()
}

// parseTrustedPeer checks one TrustedPeers entry: "host", "host:port",
// "[v6]:port" or a CIDR prefix.
func parseTrustedPeer(s string) error {
	if strings.Contains(s, "/") {
		if _, err := netip.ParsePrefix(s); err != nil {
			return fmt.Errorf("trustedPeers %q: %w", s, err)
		}
		return nil
	}
	if _, _, err := splitHostPort(s); err != nil {
		return fmt.Errorf("trustedPeers %q: %v", s, err)
	}
	return nil
}

// buildPeers resolves the servers, the outbound proxy and the trusted
// peers into a peerSet. A name that does not resolve admits nothing (it
// is logged); the servers' own traffic then cannot reach us either, which
// the registration reports.
func (p *Phone) buildPeers(ctx context.Context, servers []hostPort) *peerSet {
	s := newPeerSet()
	lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	resolve := func(host string) []netip.Addr {
		if ip, err := netip.ParseAddr(host); err == nil {
			return []netip.Addr{ip.Unmap()}
		}
		ips, err := net.DefaultResolver.LookupNetIP(lctx, "ip", host)
		if err != nil {
			p.log.Warn().Str("host", host).Err(err).Msg("cannot resolve a host we take SIP from; its requests will be dropped")
		}
		for i := range ips {
			ips[i] = ips[i].Unmap()
		}
		return ips
	}
	addServer := func(h hostPort) {
		for _, ip := range resolve(h.host) {
			s.exact[netip.AddrPortFrom(ip, uint16(h.port))] = true
			s.hosts[ip] = true
		}
	}
	for _, h := range servers {
		addServer(h)
	}
	if p.cfg.OutboundProxy != "" {
		h, port, _ := splitHostPort(p.cfg.OutboundProxy)
		if port == 0 {
			port = p.cfg.defaultPort()
		}
		addServer(hostPort{h, port})
	}
	for _, t := range p.cfg.TrustedPeers {
		if pre, err := netip.ParsePrefix(t); err == nil {
			s.nets = append(s.nets, pre.Masked())
			continue
		}
		h, port, _ := splitHostPort(t)
		for _, ip := range resolve(h) {
			if port == 0 {
				s.anyPort[ip] = true
				continue
			}
			s.exact[netip.AddrPortFrom(ip, uint16(port))] = true
			s.hosts[ip] = true
		}
	}
	return s
}

// sipFilter is the transport read filter: strangers are dropped, the
// rest goes on to the keep-alive filter.
func (p *Phone) sipFilter(info sipmsg.TransportReadProps, data []byte) ([]byte, error) {
	// By the address type, not the name (sipgo says "UDP", "tcp"): an
	// error on a datagram socket would stop its read loop for good.
	_, datagram := info.RemoteAddr.(*net.UDPAddr)
	stream := !datagram
	if !p.peers.allows(stream, info.RemoteAddr) {
		p.drops.note(info.RemoteAddr)
		if stream {
			return nil, errStranger
		}
		return nil, nil
	}
	return p.keepAliveFilter(info, data)
}

// peerListener closes accepted connections from strangers before sipgo
// sees them.
type peerListener struct {
	net.Listener
	peers *peerSet
	drops *dropCounter
}

func (l peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.peers.allows(true, c.RemoteAddr()) {
			return c, nil
		}
		l.drops.note(c.RemoteAddr())
		c.Close()
	}
}

// dropCounter counts what strangers sent and logs it at most once per
// interval, so that a flood does not flood the log.
type dropCounter struct {
	log      func(from string, n uint64)
	now      func() time.Time
	interval time.Duration

	mu       sync.Mutex
	total    uint64
	unlogged uint64
	lastLog  time.Time
}

func (d *dropCounter) note(from net.Addr) {
	d.mu.Lock()
	d.total++
	d.unlogged++
	now := d.now()
	if !d.lastLog.IsZero() && now.Sub(d.lastLog) < d.interval {
		d.mu.Unlock()
		return
	}
	n := d.unlogged
	d.unlogged, d.lastLog = 0, now
	d.mu.Unlock()
	addr := "unknown"
	if from != nil {
		addr = from.String()
	}
	d.log(addr, n)
}

func (d *dropCounter) count() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.total
}

// DroppedSIP counts the messages and connections dropped because they
// came from an address that is neither our server nor a trusted peer.
func (p *Phone) DroppedSIP() uint64 { return p.drops.count() }

func (p *Phone) newDropCounter() *dropCounter {
	return &dropCounter{now: time.Now, interval: 10 * time.Second, log: func(from string, n uint64) {
		p.log.Warn().Str("from", from).Str("dropped", strconv.FormatUint(n, 10)).
			Msg("SIP from an address that is not our server or a trusted peer: dropped unanswered")
	}}
}
