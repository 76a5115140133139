package media

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/sip/sdp"
	"github.com/openbpclient/bpclient/sip/srtpmedia"
)

func TestPeerSource(t *testing.T) {
	sig := netip.MustParseAddrPort("192.0.2.1:4000")
	nat := netip.MustParseAddrPort("192.0.2.1:5000")
	other := netip.MustParseAddrPort("192.0.2.1:6000")
	stranger := netip.MustParseAddrPort("198.51.100.7:4000")
	mapped := netip.AddrPortFrom(netip.AddrFrom16(sig.Addr().As16()), sig.Port())

	s := peerSource{latching: true}
	if !s.signal(sig) {
		t.Fatal("the first address did not take")
	}
	if k := s.classify(mapped); k != fromPeer {
		t.Errorf("the signalled address in IPv4-mapped form is %v", k)
	}
	if k := s.classify(stranger); k != fromStranger {
		t.Errorf("another IP is %v", k)
	}
	if ok, _ := s.accept(stranger); ok {
		t.Error("another IP was accepted")
	}
	if k := s.classify(nat); k != fromCandidate {
		t.Errorf("another port of the signalled IP, latch open: %v", k)
	}
	if ok, moved := s.accept(nat); !ok || !moved || s.dest() != nat {
		t.Errorf("a proved packet from another port: ok %v moved %v dest %v", ok, moved, s.dest())
	}
	if k := s.classify(other); k != fromStranger {
		t.Errorf("a third port after the latch closed: %v", k)
	}
	if k := s.classify(sig); k != fromPeer {
		t.Errorf("the signalled address after latching: %v", k)
	}
	// A re-negotiation naming the same address keeps the latch; the
	// unspecified address (an old-style hold) changes nothing.
	if s.signal(sig) || s.dest() != nat {
		t.Errorf("the same address again moved the stream: dest %v", s.dest())
	}
	if s.signal(netip.MustParseAddrPort("0.0.0.0:4000")) || s.dest() != nat {
		t.Errorf("c=0.0.0.0 moved the stream: dest %v", s.dest())
	}
	moved := netip.MustParseAddrPort("203.0.113.9:7000")
	if !s.signal(moved) || s.dest() != moved {
		t.Errorf("a new address: dest %v", s.dest())
	}
	if k := s.classify(nat); k != fromStranger {
		t.Errorf("the old latch after a move: %v", k)
	}

	// The first packet accepted from the signalled address closes the
	// latch without moving it.
	s = peerSource{latching: true}
	s.signal(sig)
	if ok, moved := s.accept(sig); !ok || moved {
		t.Errorf("from the signalled address: ok %v moved %v", ok, moved)
	}
	if k := s.classify(nat); k != fromStranger {
		t.Errorf("another port once the peer was heard: %v", k)
	}

	off := peerSource{}
	off.signal(sig)
	if k := off.classify(nat); k != fromStranger {
		t.Errorf("latching off, another port: %v", k)
	}
}

// mediaPeer is the far end of an internal media test: the address its
// SDP named, and sockets that send from elsewhere.
type mediaPeer struct {
	t            *testing.T
	m            *Session
	sig, sigRTCP *net.UDPConn
}

func listenLoopback(t *testing.T, ip string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// startPlainMedia starts a PCMU call's media (telephone-event 101) whose
// SDP named sig as the peer's RTP address.
func startPlainMedia(t *testing.T, noLatching bool, sec *srtpmedia.Transformer) *mediaPeer {
	t.Helper()
	// Reports every 100 ms, so that RTCP's destination shows soon.
	rtpC, rtcpC := loopbackPair(t)
	m := New("c1", rtpC, rtcpC, Options{NoLatching: noLatching, QualityInterval: 100 * time.Millisecond})
	m.sec = sec
	sig := listenLoopback(t, "127.0.0.1")
	sigRTCP := listenLoopback(t, "127.0.0.1")
	neg := sdp.Agreement{Remote: sig.LocalAddr().(*net.UDPAddr), RemoteRTCP: sigRTCP.LocalAddr().(*net.UDPAddr),
		Send: pcmu(t)[0], DTMF: &sdp.Payload{PT: 101, Name: "telephone-event", Rate: 8000}, Direction: sdp.SendRecv}
	if err := m.Start(neg, Audio{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return &mediaPeer{t: t, m: m, sig: sig, sigRTCP: sigRTCP}
}

// send sends n PCMU packets of SSRC ssrc from c to our RTP port, from
// sequence number seq on, protected by sec when not nil.
func (mp *mediaPeer) send(c *net.UDPConn, sec *srtpmedia.Transformer, ssrc uint32, seq uint16, n int) {
	mp.t.Helper()
	for i := 0; i < n; i++ {
		s := seq + uint16(i)
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: s, Timestamp: uint32(s) * 160, SSRC: ssrc},
			Payload: make([]byte, 160)}
		b, err := pkt.Marshal()
		if err != nil {
			mp.t.Fatal(err)
		}
		if sec != nil {
			if b, err = sec.ProtectRTP(nil, b); err != nil {
				mp.t.Fatal(err)
			}
		}
		if _, err := c.WriteTo(b, mp.m.rtpConn.LocalAddr()); err != nil {
			mp.t.Fatal(err)
		}
	}
}

// nextSeq is the sequence number of our next RTP packet.
func (mp *mediaPeer) nextSeq() uint16 {
	mp.m.mu.Lock()
	defer mp.m.mu.Unlock()
	return mp.m.firstSeq + uint16(mp.m.sentPkts)
}

// receivesFrom waits, up to the hang guard, until c gets one of our
// packets numbered seq or later: our media goes there.
func (mp *mediaPeer) receivesFrom(c *net.UDPConn, seq uint16, sec *srtpmedia.Transformer) {
	mp.t.Helper()
	buf := make([]byte, 1600)
	_ = c.SetReadDeadline(time.Now().Add(HangGuard))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	for {
		n, err := c.Read(buf)
		if err != nil {
			mp.t.Fatalf("hang guard (%v): %s got none of our packets from seq %d on: %v", HangGuard, c.LocalAddr(), seq, err)
		}
		data := buf[:n]
		if sec != nil {
			if data, err = sec.UnprotectRTP(nil, data); err != nil {
				continue
			}
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(data) == nil && !seqBefore(pkt.SequenceNumber, seq) {
			return
		}
	}
}

// receivesNothing checks that nothing of ours reached c so far.
func (mp *mediaPeer) receivesNothing(c *net.UDPConn) {
	mp.t.Helper()
	_ = c.SetReadDeadline(time.Now())
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	buf := make([]byte, 1600)
	if n, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		mp.t.Errorf("%s, not the peer, got %d bytes of ours (err %v)", c.LocalAddr(), n, err)
	}
}

func (mp *mediaPeer) waitStrangers(n uint64) {
	mp.t.Helper()
	waitFor(mp.t, "strangers counted", func() bool { return mp.m.Stats().RTPFromStrangers >= n })
}

// ignores sends five plain packets from a stranger's socket and checks
// that they are counted and that our RTP still goes to dest, not there.
func (mp *mediaPeer) ignores(stranger, dest *net.UDPConn, seq uint16) {
	mp.t.Helper()
	before := mp.m.Stats().RTPFromStrangers
	mp.send(stranger, nil, 9, seq, 5)
	mp.waitStrangers(before + 5)
	mp.receivesFrom(dest, mp.nextSeq(), nil)
	mp.receivesNothing(stranger)
}

// TestRTPFromAnotherIPNeverLatches: RTP from an IP the SDP did not name
// is dropped and counted, even when it is the first to arrive, and our
// RTP stays with the signalled address; a peer behind a NAT sending
// from another port of the signalled IP is latched to once, and a later
// third port of that IP is a stranger too.
func TestRTPFromAnotherIPNeverLatches(t *testing.T) {
	mp := startPlainMedia(t, false, nil)
	mp.ignores(listenLoopback(t, "127.0.0.2"), mp.sig, 100)
	if st := mp.m.Stats(); st.Played != 0 {
		t.Errorf("%d of the intruder's frames were played", st.Played)
	}

	nat := listenLoopback(t, "127.0.0.1")
	mp.send(nat, nil, 9, 1, 5)
	mp.receivesFrom(nat, mp.nextSeq(), nil)
	waitFor(t, "the peer's frames played", func() bool { return mp.m.Stats().Played > 0 })

	mp.ignores(listenLoopback(t, "127.0.0.1"), nat, 6)

	// A re-negotiation naming the same address keeps the latch.
	mp.m.mu.Lock()
	neg := mp.m.neg
	mp.m.mu.Unlock()
	mp.m.Update(neg, false)
	mp.receivesFrom(nat, mp.nextSeq(), nil)

	// One naming another address moves our media there.
	moved := listenLoopback(t, "127.0.0.3")
	neg.Remote = moved.LocalAddr().(*net.UDPAddr)
	mp.m.Update(neg, false)
	mp.receivesFrom(moved, mp.nextSeq(), nil)
	mp.ignores(nat, moved, 11)
}

// TestRTPLatchingOff: with latching off, a peer's port other than the
// signalled one is a stranger: its packets are dropped and counted, and
// our RTP stays at the signalled address.
func TestRTPLatchingOff(t *testing.T) {
	mp := startPlainMedia(t, true, nil)
	mp.ignores(listenLoopback(t, "127.0.0.1"), mp.sig, 1)
	if st := mp.m.Stats(); st.Played != 0 {
		t.Errorf("%d frames from the unsignalled port were played", st.Played)
	}
}

// TestSRTPLatchesOnlyOnAuthenticatedPackets: in an SRTP call, packets
// that do not authenticate never move our media, not even from the
// signalled IP, and a genuine packet replayed from another IP (someone
// on the path racing the peer's first packet) is a stranger's.
func TestSRTPLatchesOnlyOnAuthenticatedPackets(t *testing.T) {
	ours, theirs := testKeys(t), testKeys(t)
	sec, err := srtpmedia.New(ours, theirs)
	if err != nil {
		t.Fatal(err)
	}
	mp := startPlainMedia(t, false, sec)
	peerSec, err := srtpmedia.New(theirs, ours)
	if err != nil {
		t.Fatal(err)
	}
	readOurs, err := srtpmedia.New(theirs, ours)
	if err != nil {
		t.Fatal(err)
	}
	forger, err := srtpmedia.New(testKeys(t), testKeys(t))
	if err != nil {
		t.Fatal(err)
	}

	// The peer's first packet, captured and sent from another IP first.
	intruder := listenLoopback(t, "127.0.0.2")
	mp.send(intruder, peerSec, 5, 1, 1)
	mp.waitStrangers(1)

	nat := listenLoopback(t, "127.0.0.1")
	mp.send(nat, forger, 5, 2, 5)
	waitFor(t, "forged packets dropped", func() bool { return sec.Stats().AuthFailures >= 5 })
	mp.receivesFrom(mp.sig, mp.nextSeq(), readOurs)
	mp.receivesNothing(nat)
	mp.receivesNothing(intruder)
	if st := mp.m.Stats(); st.Played != 0 {
		t.Errorf("%d unauthenticated frames were played", st.Played)
	}

	// Authenticated, the NAT'ed port latches.
	mp.send(nat, peerSec, 5, 10, 5)
	mp.receivesFrom(nat, mp.nextSeq(), readOurs)
}

// TestReceivedDigitsBounded: a remote sending telephone-event end packets
// with ever new timestamps does not grow the call's memory: the newest
// maxReceivedDigits digits are kept.
func TestReceivedDigitsBounded(t *testing.T) {
	mp := startPlainMedia(t, false, nil)
	const flood = 20 * maxReceivedDigits
	payload := make([]byte, codec.EventPayloadLen)
	var last uint32
	for i := 0; i < flood; i++ {
		k, err := codec.EncodeEvent(payload, codec.Event{Code: uint8(i % 10), End: true, Volume: 10, Duration: 800})
		if err != nil {
			t.Fatal(err)
		}
		last = uint32(i+1) * 1000
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: uint16(i), Timestamp: last, SSRC: 3},
			Payload: payload[:k]}
		b, err := pkt.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mp.sig.WriteTo(b, mp.m.rtpConn.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if i%100 == 99 {
			// Paced a little, so that the socket's buffer drops none.
			ts := last
			waitFor(t, "the events read", func() bool {
				mp.m.mu.Lock()
				defer mp.m.mu.Unlock()
				return mp.m.lastRxDTMF == ts
			})
		}
	}
	waitFor(t, "the last event read", func() bool {
		mp.m.mu.Lock()
		defer mp.m.mu.Unlock()
		return mp.m.lastRxDTMF == last
	})
	mp.m.mu.Lock()
	kept, capacity := len(mp.m.dtmfRecv), cap(mp.m.dtmfRecv)
	mp.m.mu.Unlock()
	if kept != maxReceivedDigits || capacity > 2*maxReceivedDigits {
		t.Errorf("after %d digits the call holds %d (capacity %d), want %d", flood, kept, capacity, maxReceivedDigits)
	}
	got := mp.m.ReceivedDigits()
	want := ""
	for i := flood - maxReceivedDigits; i < flood; i++ {
		want += string(rune('0' + i%10))
	}
	if got != want {
		t.Errorf("digits kept %q, want the newest %q", got, want)
	}
}

// TestRTCPFromStrangers: RTCP is taken only from the peer's RTCP
// address: a receiver report from another IP, or from another port of
// the peer's IP once the peer's own RTCP was heard, is dropped and
// counted, and our reports keep going to the peer.
func TestRTCPFromStrangers(t *testing.T) {
	mp := startPlainMedia(t, false, nil)
	sendRR := func(from *net.UDPConn, highest uint32) {
		t.Helper()
		b, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 99,
			Reports: []rtcp.ReceptionReport{{SSRC: mp.m.ssrc, LastSequenceNumber: highest}}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := from.WriteTo(b, mp.m.rtcpConn.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	peerHighest := func() uint32 {
		mp.m.mu.Lock()
		defer mp.m.mu.Unlock()
		return mp.m.peerRR.LastSequenceNumber
	}
	strangers := func(n uint64) {
		t.Helper()
		waitFor(t, "rtcp strangers counted", func() bool { return mp.m.Stats().RTCPFromStrangers >= n })
	}
	// ourReport waits until dest gets a sender report of ours made
	// after after.
	ourReport := func(dest *net.UDPConn, after time.Time) {
		t.Helper()
		buf := make([]byte, 1500)
		_ = dest.SetReadDeadline(time.Now().Add(HangGuard))
		defer func() { _ = dest.SetReadDeadline(time.Time{}) }()
		for {
			n, err := dest.Read(buf)
			if err != nil {
				t.Fatalf("hang guard (%v): no report of ours at %s: %v", HangGuard, dest.LocalAddr(), err)
			}
			if pkts, err := rtcp.Unmarshal(buf[:n]); err == nil {
				if sr, ok := pkts[0].(*rtcp.SenderReport); ok && sr.SSRC == mp.m.ssrc && sr.NTPTime >= ntp(after) {
					return
				}
			}
		}
	}

	intruder := listenLoopback(t, "127.0.0.2")
	sendRR(intruder, 777)
	strangers(1)
	sendRR(mp.sigRTCP, 1000)
	waitFor(t, "the peer's report read", func() bool { return peerHighest() == 1000 })
	sameIP := listenLoopback(t, "127.0.0.1")
	sendRR(sameIP, 2000)
	strangers(2)
	ourReport(mp.sigRTCP, time.Now())
	if h := peerHighest(); h != 1000 {
		t.Errorf("a stranger's report was read: highest %d", h)
	}
	mp.receivesNothing(intruder)
	mp.receivesNothing(sameIP)
}
