package sip

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip/dtlssrtp"
)

// TestDTLSPeerWithoutRTCPAssociation: a peer that keys RTP with DTLS but
// never answers on RTCP holds the call's media back for the RTCP grace
// only, not the whole handshake timeout; RTCP stays off (never plain)
// and stopping the media ends the RTCP handshake still waiting.
func TestDTLSPeerWithoutRTCPAssociation(t *testing.T) {
	p := securePhone(t)
	rtpC, rtcpC, err := p.allocRTP()
	if err != nil {
		t.Fatal(err)
	}
	m := newMedia(p, "c1", rtpC, rtcpC)

	peerCert, err := dtlssrtp.NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	peerRTP, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	peerRTCP, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}) // silent
	defer peerRTCP.Close()
	ps, err := dtlssrtp.New(peerRTP, rtpC.LocalAddr(), dtlssrtp.Options{Cert: peerCert,
		Remote: []dtlssrtp.Fingerprint{p.dtlsCert.Fingerprint()}, Profiles: dtlssrtp.Profiles(p.cfg.SRTPSuites)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		buf := make([]byte, 1500)
		for {
			n, _, err := peerRTP.ReadFromUDP(buf)
			if err != nil {
				return
			}
			ps.Deliver(buf[:n])
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var peerErr error
	go func() { defer wg.Done(); _, peerErr = ps.Handshake(ctx) }()

	neg := negotiated{remote: peerRTP.LocalAddr().(*net.UDPAddr), remoteRTC: peerRTCP.LocalAddr().(*net.UDPAddr),
		dtls: &dtlsParams{client: true, setup: dtlssrtp.SetupActive, remote: []dtlssrtp.Fingerprint{peerCert.Fingerprint()}}}
	t0 := time.Now()
	res, err := m.handshakeDTLS(p.dtlsCert, p.cfg.SRTPSuites, neg)
	took := time.Since(t0)
	if err != nil {
		t.Fatal(err)
	}
	if took < dtlsRTCPGrace || took > dtlsHandshakeTimeout-2*time.Second {
		t.Errorf("keyed after %v: want the RTCP grace (%v), not the whole timeout", took, dtlsRTCPGrace)
	}
	if res.suite != "AES_CM_128_HMAC_SHA1_80" || m.sec == nil {
		t.Errorf("suite %q, sec %v", res.suite, m.sec != nil)
	}
	if tr, ok := m.rtcpTransformer(); ok || tr != nil {
		t.Error("RTCP flows without its own keys")
	}
	stopped := make(chan struct{})
	go func() { m.stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(3 * time.Second):
		t.Fatal("stop waited for the RTCP handshake")
	}
	ps.Close()
	peerRTP.Close()
	wg.Wait()
	if peerErr != nil {
		t.Errorf("peer: %v", peerErr)
	}
}
