package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/sdes"
	"github.com/openbpclient/bpclient/sip/sdp"
	"github.com/openbpclient/bpclient/sip/siptls"
)

// Secure mode's media (issue 5): SRTP keyed with SDES (RFC 4568). A call
// in secure mode offers only RTP/SAVP with a=crypto lines holding fresh
// keys, refuses offers without a usable a=crypto (488), and ends a call
// whose answer has none. Keys never reach a log line or an event: sdes
// redacts them when printed, and only the SDP body carries them.

// A keying failure found in sdp or here wraps sdp.ErrNotSecure: it ends
// the call with its text as the reason.

// offerCrypto makes the a=crypto lines of an outbound offer: one per
// configured suite, each with a fresh key.
func (c *Call) offerCrypto() error {
	if !c.p.cfg.Secure() {
		return nil
	}
	if c.p.cfg.Keying == KeyingDTLS {
		// DTLS-SRTP: the keys come from the handshake; the offer carries
		// our fingerprint and lets the answerer pick its role.
		if c.p.dtlsCert == nil {
			return errors.New("no DTLS certificate")
		}
		c.mu.Lock()
		c.keying, c.setup = KeyingDTLS, string(dtlssrtp.SetupActPass)
		c.mu.Unlock()
		return nil
	}
	cs, err := sdes.Offer(c.p.cfg.SRTPSuites, nil)
	if err != nil {
		return fmt.Errorf("srtp keys: %w", err)
	}
	c.mu.Lock()
	c.crypto = cs
	c.mu.Unlock()
	return nil
}

// sdpSecurity is what our SDP carries for security: the profile and the
// a=crypto values (key included: for the SDP body only).
func (c *Call) sdpSecurityLocked() (string, []string) {
	if !c.p.cfg.Secure() {
		return c.proto, nil
	}
	if c.keying == KeyingDTLS {
		if c.proto == "" {
			return sdp.ProtoDTLS, nil
		}
		return c.proto, nil
	}
	lines := make([]string, 0, len(c.crypto))
	for _, k := range c.crypto {
		lines = append(lines, k.Marshal())
	}
	proto := c.proto
	if proto == "" {
		proto = sdp.ProtoSAVP
	}
	return proto, lines
}

// dtlsSDPLocked is our a=fingerprint and a=setup on a DTLS call: actpass
// in the first offer, then the role settled (re-offers keep the
// association, RFC 5763 §5).
func (c *Call) dtlsSDPLocked() (fingerprint, setup string) {
	if c.keying != KeyingDTLS || c.p.dtlsCert == nil {
		return "", ""
	}
	return c.p.dtlsCert.Fingerprint().String(), c.setup
}

// secureAnswer checks the remote answer to our offer in secure mode and
// settles the keys: exactly one a=crypto matching one we offered, or, on
// a DTLS call, a fingerprint and a role for the handshake.
func (c *Call) secureAnswer(ans sdp.Description, neg sdp.Agreement) (sdp.Agreement, error) {
	if !c.p.cfg.Secure() {
		return neg, nil
	}
	c.mu.Lock()
	keying, keyed, ours := c.keying, c.suite != "", c.crypto
	c.mu.Unlock()
	if keying == KeyingDTLS {
		d, err := sdp.AcceptDTLS(ans)
		if err != nil {
			return neg, err
		}
		if !keyed {
			neg.DTLS = d
			return neg, nil
		}
		// Answers to re-offers keep the association, and so its peer.
		if err := c.sameDTLSPeer(d.Remote); err != nil {
			return neg, err
		}
		return neg, nil
	}
	keys, err := sdp.AcceptSDES(ours, ans)
	if err != nil {
		return neg, err
	}
	neg.SDES = keys
	return neg, nil
}

// secureOffer answers a remote offer in secure mode: the first offered
// suite we accept, with a fresh key of ours.
func (p *Phone) secureOffer(offer sdp.Description, neg sdp.Agreement) (sdp.Agreement, error) {
	if !p.cfg.Secure() {
		return neg, nil
	}
	hasDTLS := len(offer.Fingerprints) > 0 && p.dtlsCert != nil
	if len(offer.Crypto) == 0 && !hasDTLS {
		return neg, fmt.Errorf("%w: the offer has no SRTP key (a=crypto) and no DTLS fingerprint", sdp.ErrNotSecure)
	}
	// With both on offer, Config.Keying picks; with one, that one.
	if hasDTLS && (len(offer.Crypto) == 0 || p.cfg.Keying == KeyingDTLS) {
		d, err := sdp.AnswerDTLS(offer)
		if err != nil {
			return neg, err
		}
		neg.DTLS = d
		return neg, nil
	}
	keys, err := sdp.AnswerSDES(offer, p.cfg.SRTPSuites)
	if err != nil {
		return neg, err
	}
	neg.SDES = keys
	return neg, nil
}

// secureReoffer answers a re-INVITE of a secure call: it must carry
// crypto with the suite in use; we answer with our key as before, and
// take the peer's new key if it changed.
func (c *Call) secureReoffer(offer sdp.Description, neg sdp.Agreement) (sdp.Agreement, error) {
	if !c.p.cfg.Secure() {
		return neg, nil
	}
	c.mu.Lock()
	ours, keying := c.crypto, c.keying
	c.mu.Unlock()
	if keying == KeyingDTLS {
		// The association stays; the re-offer must still be DTLS-SRTP,
		// from the same certificate.
		fps, err := sdp.ReofferDTLS(offer)
		if err != nil {
			return neg, err
		}
		if err := c.sameDTLSPeer(fps); err != nil {
			return neg, err
		}
		return neg, nil
	}
	if len(ours) != 1 {
		return neg, fmt.Errorf("%w: no keys settled yet", sdp.ErrNotSecure)
	}
	keys, err := sdp.ReofferSDES(ours[0], offer)
	if err != nil {
		return neg, err
	}
	neg.SDES = keys
	return neg, nil
}

// settleKeys records the keys of a negotiation on the call: our single
// a=crypto line from now on, and the suite in call.state.
func (c *Call) settleKeys(neg sdp.Agreement) {
	if neg.DTLS != nil {
		// The suite is known once the handshake has finished (startMedia).
		c.mu.Lock()
		c.keying, c.setup, c.dtlsRemote = KeyingDTLS, string(neg.DTLS.Setup), neg.DTLS.Remote
		c.mu.Unlock()
		return
	}
	if neg.SDES == nil {
		return
	}
	c.mu.Lock()
	c.crypto = []sdes.Crypto{neg.SDES.Local}
	c.suite = neg.SDES.Local.Suite
	c.keying = KeyingSDES
	c.mu.Unlock()
}

// SRTPStats returns the call's SRTP counters; false when the call has no
// SRTP.
func (c *Call) SRTPStats() (SRTPStats, bool) {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if m == nil {
		return SRTPStats{}, false
	}
	return m.SRTPStats()
}

// prepareTLS opens (or reuses) the TLS connection to srv before a
// REGISTER and advertises its local port in Contact: we take requests on
// that connection and listen nowhere, and a Contact without a port would
// name the default port, which a proxy may take for itself.
func (p *Phone) prepareTLS(ctx context.Context, srv hostPort) error {
	if p.cfg.Transport != "tls" {
		return nil
	}
	req := sipmsg.NewRequest(sipmsg.OPTIONS, sipmsg.Uri{Scheme: p.cfg.scheme(), Host: p.cfg.Domain})
	req.SetDestination(srv.String())
	req.SetTransport("TLS")
	req.AppendHeader(&sipmsg.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "TLS", Params: sipmsg.NewParams()})
	rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	defer cancel()
	conn, err := p.ua.TransportLayer().ClientRequestConnection(rctx, req)
	if err != nil {
		return err
	}
	_, ps, err := net.SplitHostPort(conn.LocalAddr().String())
	if err != nil {
		return fmt.Errorf("tls local address: %w", err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		return fmt.Errorf("tls local port: %w", err)
	}
	p.mu.Lock()
	p.contact.port = port
	p.mu.Unlock()
	return nil
}

// tlsFailure is the registration reason for a TLS connection that could
// not be made: a refused certificate is final (no fallback, no retry).
func tlsFailure(srv hostPort, err error) (reason string, fatal bool) {
	if d := siptls.Describe(err); d != "" {
		return "TLS to " + srv.String() + " refused: " + d, true
	}
	return "no TLS connection to " + srv.String() + " (" + sanitizeErr(err) + ")", false
}

// secureMediaFailed is the end reason of a call that was up and whose
// secure media could not go on (a re-negotiation's keys we cannot use).
func secureMediaFailed(err error) string { return "secure media failed: " + err.Error() }
