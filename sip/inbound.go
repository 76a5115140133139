package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/openbpclient/bpclient/sip/sdp"
)

// Inbound calls: an INVITE is negotiated (its offer, or none: a late
// offer), rings until the page decides or the ring timeout, and is
// answered.

type decision struct {
	answer bool
	code   int
	reason string
}

// onInvite handles a new call, or a re-INVITE inside one. A new call is
// negotiated (negotiateInvite), rings (ringInvite, awaitDecision) and is
// answered (answerInvite, or answerLateOffer for an INVITE without SDP).
func (p *Phone) onInvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		p.onReinvite(req, tx)
		return
	}
	in, ok := p.negotiateInvite(req, tx)
	if !ok {
		return
	}
	defer in.stopRinging()
	c, sess, decided := p.ringInvite(req, tx, in)
	if c == nil {
		return
	}
	c.awaitDecision(sess, in, decided)
}

// incomingInvite is what negotiating a new INVITE settled: the call it
// replaces (nil: it rings), its ringing slot, our payloads, and the
// caller's offer with our answer to it (none for a late offer).
type incomingInvite struct {
	replaced    *Call
	stopRinging func() // gives the ringing slot back; safe to call again
	ours        []sdp.Payload
	late        bool
	offer       sdp.Description
	neg         sdp.Agreement
}

// negotiateInvite decides whether a new INVITE can become a call before
// anything is allocated for it: its Replaces, a ringing slot, and an
// answer to its offer. A refused INVITE is answered here (and holds no
// slot); ok is false then.
func (p *Phone) negotiateInvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) (in incomingInvite, ok bool) {
	// An INVITE with Replaces (RFC 3891) takes over one of our calls: it
	// is answered without ringing and the old call ends.
	if h := req.GetHeader("Replaces"); h != nil {
		rep, err := parseReplaces(h.Value())
		if err != nil {
			p.log.Info().Err(err).Msg("incoming call refused: bad Replaces")
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 400, "Bad Replaces", nil))
			return in, false
		}
		var code int
		if in.replaced, code = p.matchReplaces(rep); in.replaced == nil {
			p.log.Info().Int("status", code).Msg("incoming call refused: Replaces names no call of ours")
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, code, statusText(code), nil))
			return in, false
		}
	}
	// A call that would ring takes one of the few ringing slots: a flood
	// of INVITEs (through a trusted server) holds no more than that many
	// calls, RTP ports and file descriptors.
	in.stopRinging = func() {}
	if in.replaced == nil {
		var reserved bool
		if in.stopRinging, reserved = p.reserveRinging(); !reserved {
			p.log.Info().Int("max", p.cfg.MaxRingingCalls).Msg("incoming call refused (486): too many calls ringing")
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 486, "Busy Here", nil))
			return in, false
		}
	}
	defer func() {
		if !ok {
			in.stopRinging()
		}
	}()
	cs, err := p.offerCodecs()
	if err != nil {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return in, false
	}
	ours := sdp.LocalPayloads(cs)
	in.ours = ours
	// An INVITE without SDP (late offer, RFC 3261 §13.2.1): our 200
	// carries the offer and the caller's ACK the answer.
	in.late = len(bytes.TrimSpace(req.Body())) == 0
	if in.late {
		return in, true
	}
	var offer sdp.Description
	var neg sdp.Agreement
	if offer, err = sdp.Parse(req.Body()); err != nil {
		p.log.Info().Err(err).Msg("incoming call refused: unusable SDP")
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return in, false
	}
	if neg, err = sdp.Answer(offer, ours); err != nil {
		p.log.Info().Err(err).Msg("incoming call refused")
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return in, false
	}
	if neg, err = p.secureOffer(offer, neg); err != nil {
		// Secure mode never answers with plain RTP.
		p.log.Info().Err(err).Msg("incoming call refused")
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return in, false
	}
	in.offer, in.neg = offer, neg
	return in, true
}

// ringInvite makes the negotiated INVITE a call: its dialog, media
// sockets and keys, then a 180 and call.incoming (a call that replaces
// another does not ring: it is answered at once). decided receives the
// page's decision. It returns a nil call when the INVITE ended here.
func (p *Phone) ringInvite(req *sipmsg.Request, tx sipmsg.ServerTransaction, in incomingInvite) (*Call, *sipgo.DialogServerSession, chan decision) {
	neg, late, ours, replaced := in.neg, in.late, in.ours, in.replaced
	dua := &sipgo.DialogUA{Client: p.cli, ContactHDR: p.contactHeader()}
	sess, err := dua.ReadInvite(req, tx)
	if err != nil {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return nil, nil, nil
	}
	from := req.From()
	remote, display := "", ""
	if from != nil {
		remote = from.Address.User + "@" + from.Address.Host
		if from.Address.User == "" {
			remote = from.Address.Host
		}
		display = from.DisplayName
	}
	rtpC, rtcpC, err := p.allocRTP()
	if err != nil {
		_ = sess.Respond(503, "Service Unavailable", nil)
		return nil, nil, nil
	}
	c := p.newCall(inbound, req.CallID().Value(), "sip:"+remote)
	c.mu.Lock()
	c.srv = sess
	c.dialogID = sess.ID
	c.displayName = display
	c.offered = []sdp.Payload{neg.Send}
	if late {
		c.offered = ours
		c.ackBody = make(chan []byte, 1)
	}
	c.media = newMedia(p, c.id, rtpC, rtcpC)
	// decide sets c.decision to nil once it has sent: select on our own
	// copy, or an answer that comes before the select would be lost.
	decided := make(chan decision, 1)
	c.decision = decided
	c.proto = in.offer.Proto
	if replaced != nil {
		c.replaces = replaced.id
		c.decision = nil
		decided <- decision{answer: true}
	}
	c.mu.Unlock()
	if late {
		if err := c.offerCrypto(); err != nil {
			c.end("could not secure the call: " + err.Error())
			_ = sess.Respond(500, "Server Internal Error", nil)
			return nil, nil, nil
		}
	} else {
		c.settleKeys(neg)
	}
	// The devices open while the call rings (nothing of the microphone
	// is sent before the answer): running by the time it connects.
	c.prepareAudio(audioRate(c))
	if replaced != nil {
		c.log.Info().Str("replaces", replaced.id).Msg("incoming call replaces a call")
		return c, sess, decided
	}
	if err := sess.Respond(180, "Ringing", nil); err != nil {
		c.end("could not ring: " + sanitizeErr(err))
		return nil, nil, nil
	}
	p.emit(EventCallIncoming, IncomingCall{CallID: c.id, From: "sip:" + remote, DisplayName: display})
	c.setState(StateRinging, "")
	return c, sess, decided
}

// awaitDecision waits for the page's answer or rejection, up to the ring
// timeout (a call that replaces another has its answer already), for the
// caller's CANCEL, or for the phone to stop.
func (c *Call) awaitDecision(sess *sipgo.DialogServerSession, in incomingInvite, decided <-chan decision) {
	p := c.p
	var ringTimeout <-chan time.Time
	if in.replaced == nil {
		t := time.NewTimer(p.cfg.RingTimeout)
		defer t.Stop()
		ringTimeout = t.C
	}
	select {
	case <-ringTimeout:
		in.stopRinging()
		c.log.Info().Dur("after", p.cfg.RingTimeout).Msg("incoming call not answered in time")
		c.end(ReasonRingTimeout)
		_ = sess.Respond(480, "Temporarily Unavailable", nil)
	case d := <-decided:
		in.stopRinging()
		if !d.answer {
			// The call ends now; sipgo's Respond then waits for the
			// caller's ACK (up to 32 s over UDP).
			c.end(failureReason(d.code, d.reason))
			_ = sess.Respond(d.code, d.reason, nil)
			return
		}
		if in.late {
			c.answerLateOffer(sess, in.replaced)
			return
		}
		c.answerInvite(sess, in)
	case <-sess.Context().Done():
		in.stopRinging()
		c.end("cancelled by the caller")
	case <-p.ctx.Done():
		_ = sess.Respond(480, "Temporarily Unavailable", nil)
		c.end("phone stopped")
	}
}

// answerInvite answers an INVITE that carried an offer and starts the
// call's media.
func (c *Call) answerInvite(sess *sipgo.DialogServerSession, in incomingInvite) {
	offer, neg := in.offer, in.neg
	if neg.DTLS != nil {
		// DTLS-SRTP: the peer needs our answer (our fingerprint)
		// before the handshake, and media waits for its keys.
		if err := sess.RespondSDP(c.buildSDP(sdp.AnswerDirection(offer.Direction, sdp.SendRecv))); err != nil {
			c.end("could not answer: " + sanitizeErr(err))
			return
		}
		if err := c.startMedia(neg); err != nil {
			c.hangUpSoon(err.Error())
			return
		}
	} else {
		if err := c.startMedia(neg); err != nil {
			_ = sess.Respond(500, "Server Internal Error", nil)
			c.end("media failed: " + err.Error())
			return
		}
		if err := sess.RespondSDP(c.buildSDP(sdp.AnswerDirection(offer.Direction, sdp.SendRecv))); err != nil {
			c.end("could not answer: " + sanitizeErr(err))
			return
		}
	}
	c.connectedIn(sess, offer.Direction, in.replaced)
}

// ReasonRingTimeout ends an inbound call that rang for
// Config.RingTimeout without an answer (the caller gets 480).
const ReasonRingTimeout = "not answered in time (ring timeout)"

// reserveRinging takes a ringing slot; release gives it back (once, however
// often it is called). It fails when MaxRingingCalls calls ring already.
func (p *Phone) reserveRinging() (release func(), ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ringing >= p.cfg.MaxRingingCalls {
		return nil, false
	}
	p.ringing++
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			p.ringing--
			p.mu.Unlock()
		})
	}, true
}

// connectedIn marks an answered inbound call connected (remotely held
// when the remote's direction says so) and ends the call it replaces.
func (c *Call) connectedIn(sess *sipgo.DialogServerSession, remoteDir string, replaced *Call) {
	c.mu.Lock()
	c.connectedAt = time.Now()
	c.mu.Unlock()
	c.setState(StateConnected, "")
	if remoteDir == sdp.SendOnly || remoteDir == sdp.Inactive {
		c.mu.Lock()
		c.hold = c.hold.with(heldByRemote, true)
		c.mu.Unlock()
		c.setState(StateRemoteHeld, "")
	}
	c.watchDialog(sess.Context())
	if replaced != nil {
		replaced.hangUpSoon("replaced")
	}
}

// answerLateOffer answers an INVITE that had no SDP: the 200 carries our
// offer, the ACK the answer (RFC 3264 §5; sipgo returns from RespondSDP
// once the ACK has come, and onAck keeps its body first).
func (c *Call) answerLateOffer(sess *sipgo.DialogServerSession, replaced *Call) {
	if err := sess.RespondSDP(c.buildSDP(sdp.SendRecv)); err != nil {
		c.end("could not answer: " + sanitizeErr(err))
		return
	}
	c.mu.Lock()
	ch := c.ackBody
	c.ackBody = nil
	c.mu.Unlock()
	var body []byte
	select {
	case body = <-ch:
	default:
	}
	fail := c.hangUpSoon
	if len(body) == 0 {
		fail("the caller's ACK carried no SDP answer to our offer")
		return
	}
	neg, err := c.negotiateAnswer(body)
	if err != nil {
		if errors.Is(err, sdp.ErrNotSecure) {
			fail(err.Error())
			return
		}
		fail("the remote answer has no usable audio: " + err.Error())
		return
	}
	if err := c.startMedia(neg); err != nil {
		if errors.Is(err, sdp.ErrNotSecure) {
			fail(err.Error())
			return
		}
		fail("media failed: " + err.Error())
		return
	}
	c.log.Info().Str("codec", neg.Send.Name).Msg("late-offer call connected (answer in the ACK)")
	c.connectedIn(sess, neg.Direction, replaced)
}

// Answer accepts a ringing inbound call. Calls that are up are put on
// hold first (call waiting); when that fails the call keeps ringing.
func (c *Call) Answer(ctx context.Context) error {
	c.mu.Lock()
	ok, st := c.dir == inbound && !c.endedLocked() && c.decision != nil, c.state
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: the call is %s", ErrWrongState, st)
	}
	if err := c.holdOthers(ctx); err != nil {
		return err
	}
	return c.decide(decision{answer: true})
}

// Reject refuses a ringing inbound call (486 Busy Here by default).
func (c *Call) Reject(ctx context.Context, code int) error {
	if code == 0 {
		code = 486
	}
	if code < 400 || code > 699 {
		return fmt.Errorf("reject code %d: want 4xx-6xx", code)
	}
	return c.decide(decision{code: code, reason: statusText(code)})
}

func (c *Call) decide(d decision) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dir != inbound || c.endedLocked() || c.decision == nil {
		return fmt.Errorf("%w: the call is %s", ErrWrongState, c.state)
	}
	select {
	case c.decision <- d:
		c.decision = nil
		return nil
	default:
		return fmt.Errorf("%w: already decided", ErrWrongState)
	}
}
