package media

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/sdp"
)

// TestDTLSPeerWithoutRTCPAssociation: a peer that keys RTP with DTLS but
// never answers on RTCP holds the call's media back for the RTCP grace
// only, not the whole handshake timeout; RTCP stays off (never plain)
// and stopping the media ends the RTCP handshake still waiting. The
// grace is short and the timeout an hour here, so that the grace ended
// the wait is unambiguous without timing it: the handshake reports it
// (rtcpPending), and a wait for the timeout would trip the hang guard.
func TestDTLSPeerWithoutRTCPAssociation(t *testing.T) {
	p, m := securePhoneMedia(t)
	m.dtlsGrace, m.dtlsTimeout = 50*time.Millisecond, time.Hour
	peer := startDTLSPeer(t, p, m)
	res := peer.handshake(t)
	if !res.RTCPPending {
		t.Error("media started with RTCP keyed: the silent peer's RTCP association cannot have finished")
	}
	if res.Suite != "AES_CM_128_HMAC_SHA1_80" || m.sec == nil {
		t.Errorf("suite %q, sec %v", res.Suite, m.sec != nil)
	}
	if tr, ok := m.rtcpTransformer(); ok || tr != nil {
		t.Error("RTCP flows without its own keys")
	}
	peer.stop(t)
}

// TestDTLSFromStrangersNotDelivered: DTLS records from an address that
// is not the peer's (here fatal alerts, which would end a handshake)
// thrown at our RTP socket while the handshake runs are dropped and
// counted, and the handshake with the peer succeeds.
func TestDTLSFromStrangersNotDelivered(t *testing.T) {
	p, m := securePhoneMedia(t)
	m.dtlsGrace, m.dtlsTimeout = 50*time.Millisecond, time.Hour
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	// A fatal handshake_failure alert, epoch 0, in a DTLS 1.2 record.
	alert := []byte{21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 40}
	stop := make(chan struct{})
	var sending sync.WaitGroup
	sending.Add(1)
	go func() {
		defer sending.Done()
		for seq := byte(0); ; seq++ {
			select {
			case <-stop:
				return
			default:
			}
			alert[10] = seq
			_, _ = stranger.WriteTo(alert, m.rtpConn.LocalAddr())
			time.Sleep(2 * time.Millisecond)
		}
	}()
	peer := startDTLSPeer(t, p, m)
	res := peer.handshake(t)
	close(stop)
	sending.Wait()
	if res.Suite == "" || m.sec == nil {
		t.Errorf("suite %q, sec %v", res.Suite, m.sec != nil)
	}
	if n := m.Stats().RTPFromStrangers; n == 0 {
		t.Error("the stranger's alerts were not counted")
	}
	peer.stop(t)
}

// dtlsTestPeer is the far end of a DTLS call of m: it keys RTP (its RTCP
// socket stays silent).
type dtlsTestPeer struct {
	m                 *Session
	p                 *dtlsEnd
	rtpConn, rtcpConn *net.UDPConn
	cert              *dtlssrtp.Certificate
	s                 *dtlssrtp.Session
	cancel            context.CancelFunc
	wg                sync.WaitGroup
	err               error
}

func startDTLSPeer(t *testing.T, p *dtlsEnd, m *Session) *dtlsTestPeer {
	t.Helper()
	cert, err := dtlssrtp.NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	pr := &dtlsTestPeer{m: m, p: p, cert: cert}
	pr.rtpConn, _ = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	pr.rtcpConn, _ = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}) // silent
	pr.s, err = dtlssrtp.New(pr.rtpConn, m.rtpConn.LocalAddr(), dtlssrtp.Options{Cert: cert,
		Remote: []dtlssrtp.Fingerprint{p.dtlsCert.Fingerprint()}, Profiles: dtlssrtp.Profiles(p.cfg.SRTPSuites)})
	if err != nil {
		t.Fatal(err)
	}
	pr.wg.Add(2)
	go func() {
		defer pr.wg.Done()
		buf := make([]byte, 1500)
		for {
			n, _, err := pr.rtpConn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			pr.s.Deliver(buf[:n])
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), HangGuard)
	pr.cancel = cancel
	go func() { defer pr.wg.Done(); _, pr.err = pr.s.Handshake(ctx) }()
	return pr
}

// handshake runs m's handshake with the peer (we are the client).
func (pr *dtlsTestPeer) handshake(t *testing.T) DTLSResult {
	t.Helper()
	m := pr.m
	neg := sdp.Agreement{Remote: pr.rtpConn.LocalAddr().(*net.UDPAddr), RemoteRTCP: pr.rtcpConn.LocalAddr().(*net.UDPAddr),
		DTLS: &sdp.DTLSParams{Client: true, Setup: dtlssrtp.SetupActive, Remote: []dtlssrtp.Fingerprint{pr.cert.Fingerprint()}}}
	type outcome struct {
		res DTLSResult
		err error
	}
	keyed := make(chan outcome, 1)
	go func() {
		res, err := m.HandshakeDTLS(pr.p.dtlsCert, pr.p.cfg.SRTPSuites, neg)
		keyed <- outcome{res, err}
	}()
	select {
	case o := <-keyed:
		if o.err != nil {
			pr.stop(t)
			t.Fatal(o.err)
		}
		return o.res
	case <-time.After(HangGuard):
		m.Stop() // ends the handshake, so that the goroutines end
		t.Fatalf("hang guard (%v): the handshake waited for RTCP's timeout (%v), not the grace (%v)", HangGuard, m.dtlsTimeout, m.dtlsGrace)
	}
	return DTLSResult{}
}

// stop stops m, which must end the RTCP handshake still waiting, then
// the peer; the peer's handshake must have succeeded.
func (pr *dtlsTestPeer) stop(t *testing.T) {
	t.Helper()
	stopped := make(chan struct{})
	go func() { pr.m.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(HangGuard):
		t.Fatalf("hang guard (%v): stop waited for the RTCP handshake (timeout %v)", HangGuard, pr.m.dtlsTimeout)
	}
	pr.s.Close()
	pr.rtpConn.Close()
	pr.rtcpConn.Close()
	pr.cancel()
	pr.wg.Wait()
	if pr.err != nil {
		t.Errorf("peer: %v", pr.err)
	}
}

// TestPumpKeepsTheNewestRTP: the DTLS pump hands DTLS to the session and
// keeps the newest RTP datagrams it read, in order, with their source,
// for the media loop: the ones read just before it stopped included. A
// stranger's datagrams sent after them are neither kept nor delivered.
func TestPumpKeepsTheNewestRTP(t *testing.T) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	const sent = pumpKeep + 3
	for i := 0; i < sent; i++ {
		if _, err := peer.WriteTo([]byte{0x80, 0, 0, byte(i)}, conn.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	for i := 0; i < sent; i++ {
		for _, b := range [][]byte{{0x80, 0, 0, 0xee}, {22, 0xfe, 0xfd, 0xee}} {
			if _, err := stranger.WriteTo(b, conn.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A DTLS record last: once the pump has handed it over, it has read
	// every RTP datagram before it.
	if _, err := peer.WriteTo([]byte{22, 0xfe, 0xfd}, conn.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	strangerPort := uint16(stranger.LocalAddr().(*net.UDPAddr).Port)
	ctx, cancel := context.WithCancel(context.Background())
	delivered := make(chan []byte, 1)
	got := make(chan []datagram)
	go func() {
		admit := func(from netip.AddrPort) sourceKind {
			if from.Port() == strangerPort {
				return fromStranger
			}
			return fromPeer
		}
		got <- pumpDTLS(ctx, conn, admit, func(b []byte) { delivered <- append([]byte(nil), b...) })
	}()
	select {
	case b := <-delivered:
		if b[0] != 22 || len(b) != 3 {
			t.Errorf("delivered %v, not the peer's record", b)
		}
	case <-time.After(HangGuard):
		t.Fatalf("hang guard (%v): the pump delivered no DTLS", HangGuard)
	}
	cancel()
	var kept []datagram
	select {
	case kept = <-got:
	case <-time.After(HangGuard):
		t.Fatalf("hang guard (%v): the pump did not stop", HangGuard)
	}
	if len(kept) != pumpKeep {
		t.Fatalf("kept %d datagrams, want %d", len(kept), pumpKeep)
	}
	for i, d := range kept {
		if want := byte(sent - pumpKeep + i); len(d.b) != 4 || d.b[3] != want {
			t.Errorf("kept[%d] = %v, want the one numbered %d", i, d.b, want)
		}
		if d.from.Port() != uint16(peer.LocalAddr().(*net.UDPAddr).Port) {
			t.Errorf("kept[%d] from %v", i, d.from)
		}
	}
	// The socket is usable again once its reader clears the deadline.
	_ = conn.SetReadDeadline(time.Time{})
}
