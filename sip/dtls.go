package sip

import (
	"fmt"

	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/sdp"
)

// Secure mode's second keying method (issue 5): DTLS-SRTP (RFC 5763,
// RFC 5764). Our SDP carries UDP/TLS/RTP/SAVP, a=setup and the sha-256
// fingerprint of the phone's self-signed certificate; the peer's
// certificate must match the fingerprint its SDP carried (which came over
// TLS). The handshake runs on the media sockets, RTP's and RTCP's each
// (RFC 5764 §4.1: without rtcp-mux each component has its association),
// and the SRTP keys are exported from it. Until it has finished no audio
// is opened and nothing is sent; a failed handshake ends the call.
//
// Choice for an incoming offer that allows both methods: Config.Keying
// (SDES by default) decides. Early media is not played on a DTLS call:
// the handshake runs once the call is answered.

// remoteHangupReason is why a call the peer hung up ended: a peer whose
// DTLS certificate we refused hangs up while our handshake is still
// returning, and the page should read the refusal, not "remote hangup".
func (c *Call) remoteHangupReason() string {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if m != nil {
		rtp, rtcp := m.DTLSSessions()
		for _, s := range []*dtlssrtp.Session{rtp, rtcp} { // either may refuse first
			if s == nil {
				continue
			}
			if err := s.Refused(); err != nil {
				return fmt.Errorf("%w: DTLS handshake failed: %v", sdp.ErrNotSecure, err).Error()
			}
		}
	}
	return "remote hangup"
}

// sameDTLSPeer checks that a re-negotiation names the certificate the
// call's association was made with: a new one would need a new
// association (RFC 5763 §6.7.1), which we do not start mid-call; such a
// re-offer is refused (488) and the call stays as it is.
func (c *Call) sameDTLSPeer(fps []dtlssrtp.Fingerprint) error {
	c.mu.Lock()
	settled := c.dtlsRemote
	c.mu.Unlock()
	for _, f := range fps {
		for _, g := range settled {
			if f.String() == g.String() {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: the peer's DTLS fingerprint changed; a new DTLS association mid-call is not supported", sdp.ErrNotSecure)
}
