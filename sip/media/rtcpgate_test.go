package media

import (
	"crypto/rand"
	"fmt"
	"net"
	"slices"
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/srtp/v3"

	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/sdp"
	"github.com/openbpclient/bpclient/sip/srtpmedia"
)

// TestRTCPGate: open, the gate processes what passes; waiting, it holds
// copies of the newest rtcpKeep and processes them in order once open;
// shut, it drops what it held and all that comes later.
func TestRTCPGate(t *testing.T) {
	var got []string
	process := func(d datagram) { got = append(got, string(d.b)) }
	var g rtcpGate
	g.pass(datagram{b: []byte("a")}, process)
	if !slices.Equal(got, []string{"a"}) {
		t.Fatalf("open gate processed %v", got)
	}

	got = nil
	g.wait()
	g.hold(datagram{b: []byte("p0")}) // the pump's, read before the reader started
	buf := make([]byte, 2)
	for i := 1; i <= rtcpKeep+1; i++ {
		copy(buf, fmt.Sprintf("p%d", i))
		g.pass(datagram{b: buf}, process) // the reader reuses its buffer
	}
	if len(got) != 0 {
		t.Fatalf("processed %v before the keys", got)
	}
	g.open(process)
	want := []string{"p2", "p3", "p4", "p5", "p6"}
	if !slices.Equal(got, want) {
		t.Errorf("processed %v once keyed, want %v", got, want)
	}
	g.pass(datagram{b: []byte("q")}, process)
	if got[len(got)-1] != "q" {
		t.Errorf("after the keys: %v", got)
	}
	if late, over := g.counts(); late != rtcpKeep || over != 2 {
		t.Errorf("late %d, over %d; want %d and 2", late, over, rtcpKeep)
	}

	got = nil
	var s rtcpGate
	s.wait()
	s.pass(datagram{b: []byte("x")}, process)
	s.shut()
	s.pass(datagram{b: []byte("y")}, process)
	if len(got) != 0 {
		t.Errorf("a failed association's RTCP was processed: %v", got)
	}
	if late, over := s.counts(); late != 0 || over != 2 {
		t.Errorf("late %d, over %d; want 0 and 2", late, over)
	}
}

func testKeys(t *testing.T) srtpmedia.Keys {
	t.Helper()
	k := srtpmedia.Keys{Profile: srtp.ProtectionProfileAes128CmHmacSha1_80, MasterKey: make([]byte, 16), MasterSalt: make([]byte, 14)}
	_, _ = rand.Read(k.MasterKey)
	_, _ = rand.Read(k.MasterSalt)
	return k
}

// TestEarlyRTCPProcessedAfterKeys: on a DTLS call whose RTCP association
// finishes after media started, an SRTCP report that arrives before our
// RTCP keys is held by the reader and read once the keys are installed;
// one after them is read as it comes.
func TestEarlyRTCPProcessedAfterKeys(t *testing.T) {
	p, m := securePhoneMedia(t)
	defer m.Stop()
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	// A DTLS call (its RTP association is never run here) whose RTCP
	// keys are not there yet.
	s, err := dtlssrtp.New(m.rtpConn, peer.LocalAddr(), dtlssrtp.Options{Cert: p.dtlsCert,
		Remote: []dtlssrtp.Fingerprint{p.dtlsCert.Fingerprint()}, Profiles: dtlssrtp.Profiles(p.cfg.SRTPSuites)})
	if err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	m.dtlsRTP = s
	m.signalLocked(sdp.Agreement{Remote: peer.LocalAddr().(*net.UDPAddr), RemoteRTCP: peer.LocalAddr().(*net.UDPAddr)})
	m.mu.Unlock()
	m.rtcpGate.wait()
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.rtcpRead() }()

	ours, theirs := testKeys(t), testKeys(t)
	peerSec, err := srtpmedia.New(theirs, ours)
	if err != nil {
		t.Fatal(err)
	}
	sendRR := func(highest uint32) {
		t.Helper()
		b, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 99,
			Reports: []rtcp.ReceptionReport{{SSRC: m.ssrc, LastSequenceNumber: highest}}}})
		if err != nil {
			t.Fatal(err)
		}
		if b, err = peerSec.ProtectRTCP(nil, b); err != nil {
			t.Fatal(err)
		}
		if _, err := peer.WriteTo(b, m.rtcpConn.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	peerHighest := func() uint32 {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.peerRR.LastSequenceNumber
	}
	sendRR(1000)
	waitFor(t, "the early report held", func() bool {
		m.rtcpGate.mu.Lock()
		defer m.rtcpGate.mu.Unlock()
		return len(m.rtcpGate.held) == 1
	})
	if h := peerHighest(); h != 0 {
		t.Fatalf("a report was read before the RTCP keys: highest %d", h)
	}
	if err := m.installRTCP(dtlssrtp.Result{Local: ours, Remote: theirs}, nil); err != nil {
		t.Fatal(err)
	}
	if h := peerHighest(); h != 1000 {
		t.Errorf("once keyed, the early report gave highest %d, want 1000", h)
	}
	if late, _ := m.rtcpGate.counts(); late != 1 {
		t.Errorf("%d reports read late, want 1", late)
	}
	sendRR(1001)
	waitFor(t, "the next report read", func() bool { return peerHighest() == 1001 })
	if st := m.secRTCP.Load().Stats(); st.Dropped() != 0 {
		t.Errorf("srtcp drops %+v", st)
	}
}
