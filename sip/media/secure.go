package media

import (
	"bytes"
	"fmt"

	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/sdes"
	"github.com/openbpclient/bpclient/sip/sdp"
	"github.com/openbpclient/bpclient/sip/srtpmedia"
)

// srtpKeyPair returns the SRTP keys of an SDES agreement, ours and the peer's.
func srtpKeyPair(k *sdp.SDESKeys) (local, remote srtpmedia.Keys, err error) {
	local, err = SRTPKeys(k.Local)
	if err != nil {
		return
	}
	remote, err = SRTPKeys(k.Remote)
	return
}

// SRTPKeys are the SRTP keys an a=crypto line carries.
func SRTPKeys(c sdes.Crypto) (srtpmedia.Keys, error) {
	prof, err := c.Profile()
	if err != nil {
		return srtpmedia.Keys{}, err
	}
	key, salt := c.Key()
	return srtpmedia.Keys{Profile: prof, MasterKey: key, MasterSalt: salt, MKI: c.MKI()}, nil
}

// SRTPStats are a secure call's SRTP counters (quality.report "srtp").
type SRTPStats struct {
	Suite        string `json:"suite"`
	AuthFailures uint64 `json:"authFailures"`
	Replays      uint64 `json:"replays"`
	Malformed    uint64 `json:"malformed"`
	// BeforeKeys are packets the peer sent before it had keyed them
	// (plain, as the call's SRTP started), dropped; they are not in
	// AuthFailures or Malformed (beforekeys.go).
	BeforeKeys uint64 `json:"beforeKeys"`
}

// offerCrypto makes the a=crypto lines of an outbound offer: one per
// Secure installs the SRTP transformer before media starts, or swaps the
// receive key when the peer re-keyed. Secure mode without keys refuses.
func (m *Session) Secure(secureMode bool, neg sdp.Agreement) error {
	install, err := m.PrepareSecure(secureMode, neg)
	if err != nil {
		return err
	}
	install()
	return nil
}

// PrepareSecure checks the keys of a negotiation and makes what secure
// would install, without installing it: a re-offer's keys are checked
// before its 200 commits us to them, and the returned install, called
// once the answer is sent, cannot fail.
func (m *Session) PrepareSecure(secureMode bool, neg sdp.Agreement) (install func(), err error) {
	nothing := func() {}
	if !secureMode {
		return nothing, nil
	}
	m.mu.Lock()
	dtlsCall, sec, secRemote := m.dtlsRTP != nil, m.sec, m.secRemote
	m.mu.Unlock()
	if dtlsCall && neg.SDES == nil && neg.DTLS == nil {
		// A DTLS call's re-negotiation keeps its association, and its
		// keys (or the handshake still running installs them).
		return nothing, nil
	}
	if neg.SDES == nil {
		return nil, fmt.Errorf("%w: no SRTP keys", sdp.ErrNotSecure)
	}
	local, remote, err := srtpKeyPair(neg.SDES)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", sdp.ErrNotSecure, err)
	}
	material := neg.SDES.Remote.KeyMaterial()
	if sec == nil {
		t, err := srtpmedia.New(local, remote)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", sdp.ErrNotSecure, err)
		}
		return func() {
			m.mu.Lock()
			m.sec, m.secSuite, m.secRemote = t, neg.SDES.Local.Suite, material
			m.mu.Unlock()
		}, nil
	}
	if bytes.Equal(secRemote, material) {
		return nothing, nil
	}
	k, err := srtpmedia.NewRemoteKey(remote)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", sdp.ErrNotSecure, err)
	}
	return func() {
		m.mu.Lock()
		m.sec.UseRemote(k)
		m.secRemote = material
		m.mu.Unlock()
	}, nil
}

// srtpStatsLocked is the SRTP part of a quality report.
func (m *Session) srtpStatsLocked() *SRTPStats {
	if m.sec == nil {
		return nil
	}
	st := m.sec.Stats()
	if rtcp := m.secRTCP.Load(); rtcp != nil {
		// DTLS keys RTCP apart: its drops count too.
		rt := rtcp.Stats()
		st.AuthFailures += rt.AuthFailures
		st.Replays += rt.Replays
		st.Malformed += rt.Malformed
	}
	early := beforeKeys{auth: m.rtpEarly.auth + m.rtcpEarly.auth, malformed: m.rtpEarly.malformed + m.rtcpEarly.malformed}
	return &SRTPStats{Suite: m.secSuite, AuthFailures: st.AuthFailures - early.auth, Replays: st.Replays,
		Malformed: st.Malformed - early.malformed, BeforeKeys: early.total()}
}

// rtcpTransformer is what protects RTCP: the RTP transformer with SDES
// (one key for both), RTCP's own with DTLS. ok is false when RTCP must
// not flow: a DTLS call whose RTCP association failed.
func (m *Session) rtcpTransformer() (t *srtpmedia.Transformer, ok bool) {
	if m.dtlsRTP != nil {
		t := m.secRTCP.Load()
		return t, t != nil
	}
	return m.sec, true
}

// logDrops notes dropped SRTP or SRTCP packets at debug level, the first
// few of a call only (a flood must not flood the log). The error names
// the reason and the SSRC, never a key.
func (m *Session) logDrops(errs []error) {
	if len(errs) == 0 {
		return
	}
	m.mu.Lock()
	n := min(len(errs), max(0, 5-m.dropsLogged))
	m.dropsLogged += n
	m.mu.Unlock()
	for _, err := range errs[:n] {
		m.log.Debug().Err(err).Msg("srtp packet dropped")
	}
}

// logBeforeKeys notes, once, the packets of a stream that the peer sent
// before it had keyed it: dropped, and no failure.
func (m *Session) logBeforeKeys(kind string, b *beforeKeys) {
	m.mu.Lock()
	n := b.total()
	m.mu.Unlock()
	if n > 0 {
		m.log.Debug().Str("stream", kind).Uint64("packets", n).
			Msg("dropped what the peer sent before it had keys (plain, as its SRTP started)")
	}
}

// SRTPStats returns the session's SRTP counters; false when it has no
// SRTP.
func (m *Session) SRTPStats() (SRTPStats, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.srtpStatsLocked()
	if s == nil {
		return SRTPStats{}, false
	}
	return *s, true
}

// DTLSSessions are the session's DTLS associations, RTP's and RTCP's;
// nil in a call keyed otherwise, or before the handshake.
func (m *Session) DTLSSessions() (rtp, rtcp *dtlssrtp.Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dtlsRTP, m.dtlsRTCP
}

// RemoteKeyMaterial is the key||salt the peer's SRTP is received with;
// nil without SRTP.
func (m *Session) RemoteKeyMaterial() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.secRemote == nil {
		return nil
	}
	return append([]byte(nil), m.secRemote...)
}
