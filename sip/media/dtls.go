package media

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/internal/liblog"
	"github.com/openbpclient/bpclient/sip/sdp"
	"github.com/openbpclient/bpclient/sip/srtpmedia"
)

// dtlsHandshakeTimeout bounds a call's handshake: DTLS retransmits at 1,
// 2, 4 s, so 10 s covers three losses of a flight.
const dtlsHandshakeTimeout = 10 * time.Second

// DTLSResult is what a call's handshakes settled.
type DTLSResult struct {
	Suite      string
	RTP, RTCP  dtlssrtp.Result
	RTCPFailed error // RTCP's association failed: the call goes on without RTCP
	// RTCPPending: RTCP's handshake had not finished when the grace
	// after RTP's ended, so media started without it (it goes on
	// keying behind the call's back).
	RTCPPending bool
}

// HandshakeDTLS runs the DTLS handshakes of the call's RTP and RTCP
// sockets (reading them itself until they finish) and installs the SRTP
// transformers. It returns an error wrapping sdp.ErrNotSecure when the RTP
// association fails; nothing has been sent or played then.
func (m *Session) HandshakeDTLS(cert *dtlssrtp.Certificate, suites []string, neg sdp.Agreement) (DTLSResult, error) {
	var res DTLSResult
	if cert == nil {
		return res, fmt.Errorf("%w: no DTLS certificate", sdp.ErrNotSecure)
	}
	o := dtlssrtp.Options{Cert: cert, Remote: neg.DTLS.Remote, Client: neg.DTLS.Client, Profiles: dtlssrtp.Profiles(suites),
		Log: liblog.Pion(m.log)}
	rtpS, err := dtlssrtp.New(m.rtpConn, neg.Remote, o)
	if err != nil {
		return res, fmt.Errorf("%w: %v", sdp.ErrNotSecure, err)
	}
	rtcpS, err := dtlssrtp.New(m.rtcpConn, neg.RemoteRTCP, o)
	if err != nil {
		rtpS.Close()
		return res, fmt.Errorf("%w: %v", sdp.ErrNotSecure, err)
	}
	m.mu.Lock()
	m.dtlsRTP, m.dtlsRTCP = rtpS, rtcpS // closed by stop
	m.signalLocked(neg)
	m.mu.Unlock()

	// RTP's and RTCP's handshakes run together, each bounded by the
	// timeout and by the call; the pumps read the sockets until media
	// starts.
	rtpCtx, cancelRTP := context.WithTimeout(m.ctx, m.dtlsTimeout)
	defer cancelRTP()
	rtcpCtx, cancelRTCP := context.WithTimeout(m.ctx, m.dtlsTimeout)
	pumpCtx, stopPumps := context.WithCancel(m.ctx)
	defer stopPumps()
	// Until media starts, these pumps are the sockets' only readers:
	// DTLS goes to the sessions; of the RTP and the RTCP, the newest few
	// datagrams are kept for the media loops (SRTP the peer sent once
	// keyed, read before our keys were there or just before the pump
	// stopped). RTCP waits for its keys in the gate.
	m.rtcpGate.wait()
	var pumps sync.WaitGroup
	var rtpKept, rtcpKept []datagram
	pumps.Add(2)
	go func() {
		defer pumps.Done()
		rtpKept = pumpDTLS(pumpCtx, m.rtpConn, m.admitter(streamRTP, &m.rtpPeer), rtpS.Deliver)
	}()
	go func() {
		defer pumps.Done()
		rtcpKept = pumpDTLS(pumpCtx, m.rtcpConn, m.admitter(streamRTCP, &m.rtcpPeer), rtcpS.Deliver)
	}()
	var rtcpRes dtlssrtp.Result
	var rtcpErr error
	rtcpDone := make(chan struct{})
	go func() {
		defer close(rtcpDone)
		rtcpRes, rtcpErr = rtcpS.Handshake(rtcpCtx)
	}()
	t0 := time.Now()
	res.RTP, err = rtpS.Handshake(rtpCtx)
	rtcpReady := false
	if err != nil {
		cancelRTCP()
		<-rtcpDone
	} else {
		// RTCP gets a little longer than RTP; a peer that never keys it
		// must not hold the call's audio back for the whole timeout.
		select {
		case <-rtcpDone:
			rtcpReady = true
		case <-time.After(m.dtlsGrace):
		}
	}
	stopPumps()
	pumps.Wait()
	// The pumps ended on a read deadline: clear it for the media loops.
	_ = m.rtpConn.SetReadDeadline(time.Time{})
	_ = m.rtcpConn.SetReadDeadline(time.Time{})
	m.rtcpGate.hold(rtcpKept...)
	if err != nil {
		cancelRTCP()
		if r := rtcpS.Refused(); r != nil && rtpS.Refused() == nil {
			err = r // RTCP's refusal made the peer give up on both
		}
		return res, fmt.Errorf("%w: DTLS handshake failed: %v", sdp.ErrNotSecure, err)
	}
	res.Suite = res.RTP.Suite
	res.RTCPPending = !rtcpReady
	m.log.Info().Str("suite", res.Suite).Bool("client", neg.DTLS.Client).Dur("handshake", time.Since(t0)).
		Bool("rtcpPending", res.RTCPPending).
		Str("peerFingerprint", res.RTP.PeerFingerprint.String()).Msg("dtls-srtp keyed")
	rtpT, err := srtpmedia.New(res.RTP.Local, res.RTP.Remote)
	if err != nil {
		cancelRTCP()
		return res, fmt.Errorf("%w: %v", sdp.ErrNotSecure, err)
	}
	m.mu.Lock()
	m.sec, m.secSuite = rtpT, res.Suite
	m.rtpBacklog = rtpKept
	m.secRemote = append(append([]byte(nil), res.RTP.Remote.MasterKey...), res.RTP.Remote.MasterSalt...)
	m.mu.Unlock()
	if rtcpReady {
		res.RTCP = rtcpRes
		res.RTCPFailed = m.installRTCP(rtcpRes, rtcpErr)
		cancelRTCP()
		return res, nil
	}
	// RTCP is still keying: it finishes behind the call's back (the
	// RTCP reader hands it DTLS from now on); until then no RTCP flows.
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer cancelRTCP()
		<-rtcpDone
		_ = m.installRTCP(rtcpRes, rtcpErr)
	}()
	return res, nil
}

// dtlsRTCPGrace is how much longer than RTP's handshake RTCP's may take
// before media starts without it.
const dtlsRTCPGrace = 2 * time.Second

// installRTCP makes RTCP flow with the keys of its association, the
// RTCP held until then first, or leaves it off when that failed: RTCP
// only carries reports, so the call goes on without them (never plain).
func (m *Session) installRTCP(r dtlssrtp.Result, err error) error {
	var t *srtpmedia.Transformer
	if err == nil {
		t, err = srtpmedia.New(r.Local, r.Remote)
	}
	if err != nil {
		m.rtcpGate.shut()
		if m.ctx.Err() == nil {
			m.log.Warn().Err(err).Msg("dtls-srtp for RTCP failed; the call goes on without RTCP")
		}
		return err
	}
	m.secRTCP.Store(t)
	m.rtcpGate.open(m.handleRTCP)
	return nil
}

// datagram is one packet a pump read, and where from.
type datagram struct {
	b    []byte
	from netip.AddrPort
}

// pumpKeep is how many of the newest other datagrams a pump keeps: a
// tenth of a second of 20 ms packets; older audio would be played late.
const pumpKeep = 5

// admitter is admitLocked for a pump, which holds no lock.
func (m *Session) admitter(stream string, peer *peerSource) func(netip.AddrPort) sourceKind {
	return func(from netip.AddrPort) sourceKind {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.admitLocked(stream, peer, from)
	}
}

// pumpDTLS reads conn until ctx ends: what admit calls a stranger's is
// dropped (a flood of them must not push the peer's out of the kept
// ones); DTLS datagrams from the peer go to deliver (the association
// answers only the signalled address); the newest pumpKeep others are
// returned in the order they came.
func pumpDTLS(ctx context.Context, conn *net.UDPConn, admit func(netip.AddrPort) sourceKind, deliver func([]byte)) []datagram {
	// The deadline that ends the read is set before pumpDTLS returns, so
	// the caller's clearing it afterwards cannot be undone by a late set.
	done, set := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(set)
		select {
		case <-ctx.Done():
			_ = conn.SetReadDeadline(time.Unix(1, 0))
		case <-done:
		}
	}()
	defer func() { close(done); <-set }()
	buf := make([]byte, 1600)
	var kept []datagram
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return kept
			}
			continue
		}
		src := admit(from)
		if src == fromStranger {
			continue
		}
		if dtlssrtp.IsDTLS(buf[:n]) {
			if src == fromPeer {
				deliver(buf[:n])
			}
			continue
		}
		if len(kept) == pumpKeep {
			kept = append(kept[:0], kept[1:]...)
		}
		kept = append(kept, datagram{b: append([]byte(nil), buf[:n]...), from: from})
	}
}
