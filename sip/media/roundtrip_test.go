package media

import (
	"net"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip/sdp"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// RFC 3550 6.4.1's own example: a report arrives at A = 0xb710:8000
// (46864.500 s) echoing LSR = 0xb705:2000 (46853.125 s) after DLSR =
// 0x0005:4000 (5.250 s): the round trip is 0x0006:2000, 6.125 s.
func TestRoundTripRFC3550Example(t *testing.T) {
	ms, ok := roundTripMs(0xb7108000, 0xb7052000, 0x00054000)
	if !ok || ms != 6125 {
		t.Errorf("round trip %v ms (ok %v), want 6125", ms, ok)
	}
	if _, ok := roundTripMs(0xb7108000, 0, 0x00054000); ok {
		t.Error("a report that echoes no sender report gave a round trip")
	}
	// A report that claims to have waited longer than it could have
	// (DLSR past the arrival) wraps to a huge value: not used.
	if ms, ok := roundTripMs(0xb7108000, 0xb7052000, 0x000c0000); ok {
		t.Errorf("a negative round trip read %v ms", ms)
	}
}

func TestNTPMiddleAndDelaySinceSR(t *testing.T) {
	// 1.5 s past the NTP era's 2208988800 s offset: 16.16 seconds.
	at := time.Unix(0, 0).Add(1500 * time.Millisecond)
	secs := uint32(2208988800 + 1) // the low 16 bits of which are the middle's upper half
	if got, want := ntpMiddle(at), secs<<16|0x8000; got != want {
		t.Errorf("ntpMiddle %#x, want %#x", got, want)
	}
	if d := delaySinceSR(at, time.Time{}); d != 0 {
		t.Errorf("DLSR with no sender report %d, want 0", d)
	}
	if d := delaySinceSR(at.Add(5250*time.Millisecond), at); d != 0x00054000 {
		t.Errorf("DLSR after 5.25 s %#x, want 0x54000", d)
	}
}

// rtcpTestMedia is a call's media on a fake clock, not started, whose
// SDP named peer's socket for RTCP: reports are driven by hand.
func rtcpTestMedia(t *testing.T, clock *fakeClock) (*Session, *net.UDPConn) {
	t.Helper()
	m := clockedMedia(t, clock, Options{})
	peer := listenLoopback(t, "127.0.0.1")
	peerRTP := listenLoopback(t, "127.0.0.1")
	m.mu.Lock()
	m.neg = sdp.Agreement{Remote: peerRTP.LocalAddr().(*net.UDPAddr), RemoteRTCP: peer.LocalAddr().(*net.UDPAddr), Send: pcmu(t)[0], Direction: sdp.SendRecv}
	m.signalLocked(m.neg)
	m.rx.clockRate = 8000
	m.mu.Unlock()
	return m, peer
}

// readRTCP reads one compound RTCP packet from c, up to the hang guard.
func readRTCP(t *testing.T, c *net.UDPConn) []rtcp.Packet {
	t.Helper()
	buf := make([]byte, 1500)
	_ = c.SetReadDeadline(time.Now().Add(HangGuard))
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no RTCP within the hang guard: %v", err)
	}
	pkts, err := rtcp.Unmarshal(buf[:n])
	if err != nil {
		t.Fatalf("our RTCP does not parse: %v", err)
	}
	return pkts
}

// The round trip of RFC 3550 6.4.1 through the engine, on a fake clock:
// our SR goes out, the peer answers with an RR that echoes it after
// holding it 0.5 s, and it arrives 0.75 s after our SR left: 250 ms.
// The other way, our report echoes the peer's SR with the time we held
// it, and says what we received of its stream.
func TestRTCPReportRoundTrip(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	m, peer := rtcpTestMedia(t, clock)
	const peerSSRC = 0xfeed
	// What we received of the peer: 0..9 without 4 (one of ten lost).
	m.mu.Lock()
	for s := uint16(0); s < 10; s++ {
		if s != 4 {
			m.updateRxLocked(&rtp.Packet{Header: rtp.Header{SSRC: peerSSRC, SequenceNumber: s, Timestamp: uint32(s) * 160}},
				clock.Now().Add(time.Duration(s)*20*time.Millisecond))
		}
	}
	m.mu.Unlock()

	sent := clock.Now()
	m.sendReport(sent)
	pkts := readRTCP(t, peer)
	sr, ok := pkts[0].(*rtcp.SenderReport)
	if !ok {
		t.Fatalf("our report starts with %T, want a sender report", pkts[0])
	}
	if sr.SSRC != m.ssrc || sr.NTPTime != ntp(sent) || len(sr.Reports) != 1 {
		t.Fatalf("our SR: SSRC %#x NTP %#x (want %#x), %d report blocks", sr.SSRC, sr.NTPTime, ntp(sent), len(sr.Reports))
	}
	if rr := sr.Reports[0]; rr.SSRC != peerSSRC || rr.LastSequenceNumber != 9 || rr.TotalLost != 1 || rr.FractionLost != 25 ||
		rr.LastSenderReport != 0 || rr.Delay != 0 {
		t.Errorf("our report block %+v, want highest 9, 1 lost, fraction 25/256, no LSR", rr)
	}

	// The peer's answer: an SR of its own, whose block echoes ours.
	peerNTP := ntp(sent.Add(-3 * time.Second))
	answer, err := rtcp.Marshal([]rtcp.Packet{&rtcp.SenderReport{SSRC: peerSSRC, NTPTime: peerNTP, Reports: []rtcp.ReceptionReport{{
		SSRC: m.ssrc, LastSequenceNumber: 1234, LastSenderReport: uint32(sr.NTPTime >> 16), Delay: 0x8000}}}})
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(750 * time.Millisecond)
	m.handleRTCP(datagram{b: answer, from: peer.LocalAddr().(*net.UDPAddr).AddrPort()})
	if q := m.Snapshot(); q.RTTMs != 250 {
		t.Errorf("round trip %v ms, want 250", q.RTTMs)
	}
	m.mu.Lock()
	highest := m.peerRR.LastSequenceNumber
	m.mu.Unlock()
	if highest != 1234 {
		t.Errorf("the peer's report on us: highest %d, want 1234", highest)
	}

	// Our next report, 1.5 s after the peer's SR arrived, echoes it.
	clock.advance(1500 * time.Millisecond)
	m.sendReport(clock.Now())
	sr = readRTCP(t, peer)[0].(*rtcp.SenderReport)
	if rr := sr.Reports[0]; rr.LastSenderReport != uint32(peerNTP>>16) || rr.Delay != 0x18000 {
		t.Errorf("our echo: LSR %#x DLSR %#x, want %#x and 0x18000 (1.5 s)", rr.LastSenderReport, rr.Delay, uint32(peerNTP>>16))
	}
	// Nothing new arrived: the interval lost nothing.
	if rr := sr.Reports[0]; rr.FractionLost != 0 || rr.TotalLost != 1 {
		t.Errorf("the quiet interval: fraction %d, total %d, want 0 and 1", rr.FractionLost, rr.TotalLost)
	}
}
