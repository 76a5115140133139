package media

import (
	"net"
	"net/netip"
)

// Where a call's media may come from (issue 9). Anyone who can reach the
// RTP port could otherwise play into the agent's ear, and, through
// symmetric RTP, take our microphone's stream. So each stream (RTP, and
// RTCP on its own socket) is taken only from the address the SDP named
// (c= with the m= port; RTCP's from a=rtcp or the port above), and
// everything else is dropped and counted.
//
// Symmetric RTP latching (RFC 4961), for a peer behind a NAT whose
// packets leave from another port than its SDP says, is kept but
// narrowed: only a packet from the signalled IP may latch, only the
// first such packet the stream accepts, and only once it has proved
// itself (authenticated, in SRTP; in plain calls, where nothing can be
// proved, a packet that parses as RTP or RTCP). The first accepted
// packet closes the latch whether it moved it or not, so later packets
// from other ports are strangers; a re-negotiation that names another
// address opens it again, one that keeps the address leaves it as it
// is. With Options.NoLatching nothing latches: only the signalled address
// is taken.

// peerSource is one stream's remote end: what the SDP named, and where
// the peer's packets turned out to come from.
type peerSource struct {
	signalled netip.AddrPort
	latched   netip.AddrPort // valid once latched to another port
	open      bool           // no packet accepted since the address was signalled
	latching  bool           // Options.NoLatching is false
	// strangers counts datagrams dropped for their source; logged says
	// whether the first of them was logged.
	strangers uint64
	logged    bool
}

// sourceKind is what a datagram's source is to a stream.
type sourceKind int

const (
	fromPeer      sourceKind = iota // the signalled or the latched address
	fromCandidate                   // another port of the signalled IP while the latch is open
	fromStranger                    // anyone else
)

// addrPortOf converts an SDP address into the form the sockets report.
func addrPortOf(a *net.UDPAddr) netip.AddrPort {
	if a == nil {
		return netip.AddrPort{}
	}
	ap := a.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// signal takes the address a negotiation named. It reports whether the
// stream moved: a new address resets the latch; the same address, or
// none (port 0, or the unspecified address of an old-style hold), leaves
// the stream as it was.
func (s *peerSource) signal(a netip.AddrPort) bool {
	if !a.IsValid() || a.Port() == 0 || (s.signalled.IsValid() && a.Addr().IsUnspecified()) {
		return false
	}
	if a == s.signalled {
		return false
	}
	s.signalled, s.latched, s.open = a, netip.AddrPort{}, true
	return true
}

// classify says what from is to the stream.
func (s *peerSource) classify(from netip.AddrPort) sourceKind {
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	switch {
	case from == s.signalled, s.latched.IsValid() && from == s.latched:
		return fromPeer
	case s.latching && s.open && from.Addr() == s.signalled.Addr():
		return fromCandidate
	}
	return fromStranger
}

// accept is called for a packet that proved itself (authenticated, or
// well-formed where there is no authentication). It reports whether the
// packet is the peer's: the first one accepted closes the latch, and
// latches the stream to its source when that is a candidate. moved says
// that it did.
func (s *peerSource) accept(from netip.AddrPort) (ok, moved bool) {
	switch s.classify(from) {
	case fromStranger:
		return false, false
	case fromCandidate:
		s.latched, s.open = netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), false
		return true, true
	}
	s.open = false
	return true, false
}

// dest is where the stream is sent: the latched address, else the
// signalled one.
func (s *peerSource) dest() netip.AddrPort {
	if s.latched.IsValid() {
		return s.latched
	}
	return s.signalled
}
