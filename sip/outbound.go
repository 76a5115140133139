package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/openbpclient/bpclient/sip/sdp"
)

// Outbound calls: the INVITE, the wait for its answer (ringback, early
// media, our CANCEL in cancel.go), and the call once answered.

// Dial places a call. It returns once the INVITE is sent; the call's
// progress arrives as call.state events.
func (p *Phone) Dial(ctx context.Context, to string) (*Call, error) {
	if p.ua == nil {
		return nil, errors.New("phone not started")
	}
	uri, err := p.targetURI(to)
	if err != nil {
		return nil, err
	}
	return p.dial(ctx, uri, dialOptions{})
}

// dialOptions are the extras of a call placed for a transfer.
type dialOptions struct {
	headers         []sipmsg.Header // Replaces, Referred-By
	transferredFrom string          // API id of the call the REFER came on
}

func (p *Phone) dial(ctx context.Context, uri sipmsg.Uri, opts dialOptions) (*Call, error) {
	cs, err := p.offerCodecs()
	if err != nil {
		return nil, err
	}
	rtpC, rtcpC, err := p.allocRTP()
	if err != nil {
		return nil, err
	}
	req := sipmsg.NewRequest(sipmsg.INVITE, uri)
	req.SetDestination(p.currentServer().String())
	req.SetTransport(strings.ToUpper(p.cfg.Transport))
	req.AppendHeader(p.fromHeader())
	req.AppendHeader(&sipmsg.ToHeader{Address: uri})
	cid := sipmsg.CallIDHeader(randomHex(16))
	req.AppendHeader(&cid)
	req.AppendHeader(sipmsg.NewHeader("Allow", allowMethods))
	req.AppendHeader(sipmsg.NewHeader("User-Agent", "bpclient"))
	req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	for _, h := range opts.headers {
		req.AppendHeader(h)
	}

	c := p.newCall(outbound, string(cid), uri.String())
	c.transferredFrom = opts.transferredFrom
	c.offered = sdp.LocalPayloads(cs)
	c.media = newMedia(p, c.id, rtpC, rtcpC)
	if err := c.offerCrypto(); err != nil {
		c.end("could not secure the call: " + err.Error())
		return nil, err
	}
	// The devices open while the call is dialed: running by the answer.
	c.prepareAudio(audioRate(c))
	req.SetBody(c.buildSDP(sdp.SendRecv))

	// The wait for the answer ends with our CANCEL's 487 or, forced, on
	// sipgo's WaitAnswerForceCancelErr (then sipgo sends no CANCEL of its
	// own, which it would route by the Request-URI: cancel.go).
	dctx, cancel := context.WithCancelCause(context.WithoutCancel(p.ctx))
	forceEnd := func() { cancel(sipgo.WaitAnswerForceCancelErr) }
	c.mu.Lock()
	c.cancelDial, c.invite = forceEnd, inviteAwaiting
	c.mu.Unlock()
	dua := &sipgo.DialogUA{Client: p.cli, ContactHDR: p.contactHeader()}
	t0 := time.Now()
	sess, err := dua.WriteInvite(p.ctx, req)
	if err != nil {
		c.mu.Lock()
		c.invite = inviteNone
		c.mu.Unlock()
		c.end("could not send the call: " + sanitizeErr(err))
		return nil, fmt.Errorf("send INVITE: %w", err)
	}
	c.mu.Lock()
	c.cli = sess
	c.mu.Unlock()
	c.setState(StateDialing, "")
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer context.AfterFunc(p.ctx, forceEnd)() // the phone stops
		c.runOutbound(dctx, sess, t0)
	}()
	return c, nil
}

func (c *Call) runOutbound(ctx context.Context, sess *sipgo.DialogClientSession, t0 time.Time) {
	p := c.p
	earlyStarted := false
	err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{
		Username: p.cfg.AuthUsername,
		Password: p.cfg.Password,
		OnResponse: func(res *sipmsg.Response) error {
			// Our CANCEL goes once a provisional response has come; it
			// is built from the INVITE as sent (cancel.go).
			if res.IsProvisional() {
				c.provisionalTo(sess.InviteRequest)
			} else {
				c.finalTo()
				if !res.IsSuccess() && c.isCancelling() {
					return errCancelled // no retry after a challenge
				}
				if err := p.checkChallenge(res); err != nil {
					return err // before sipgo answers it
				}
			}
			switch {
			case res.StatusCode == 180:
				c.setState(StateRinging, "")
				if !earlyStarted {
					c.startRingback()
				}
			case res.StatusCode == 183:
				c.setState(StateEarly, "")
				if !earlyStarted && len(res.Body()) > 0 {
					// A DTLS call keys once answered: no early media.
					if neg, err := c.negotiateAnswer(res.Body()); err == nil && neg.DTLS == nil {
						// Early media plays instead of our ringback.
						c.stopRingback()
						earlyStarted = c.startMedia(neg) == nil
					}
				}
			}
			return nil
		},
	})
	c.stopRingback()
	c.mu.Lock()
	c.invite = c.invite.answered()
	c.mu.Unlock()
	if err != nil {
		var de *sipgo.ErrDialogResponse
		switch {
		case ctx.Err() != nil, c.isCancelling():
			c.setFinalCode(487)
			c.end("cancelled")
		case errors.Is(err, errChallengeRefused):
			c.setFinalCode(403)
			c.end(err.Error())
		case errors.As(err, &de):
			c.setFinalCode(de.Res.StatusCode)
			c.end(failureReason(de.Res.StatusCode, de.Res.Reason))
		default:
			c.setFinalCode(503)
			c.end("call failed: " + sanitizeErr(err))
		}
		return
	}
	c.setFinalCode(sess.InviteResponse.StatusCode)
	c.mu.Lock()
	c.dialogID = sess.ID
	c.mu.Unlock()
	if c.isCancelling() {
		// Answered before our CANCEL reached the callee: the call is
		// up there, so it ends with an ACK and a BYE (RFC 3261 §9.1).
		c.setFinalCode(487)
		_ = sess.Ack(p.ctx)
		c.hangUpSoon("cancelled")
		return
	}
	neg, err := c.negotiateAnswer(sess.InviteResponse.Body())
	if err != nil {
		_ = sess.Ack(p.ctx)
		if errors.Is(err, sdp.ErrNotSecure) {
			c.hangUpSoon(err.Error())
			return
		}
		c.hangUpSoon("the remote answer has no usable audio: " + err.Error())
		return
	}
	if err := sess.Ack(p.ctx); err != nil {
		c.log.Warn().Err(err).Msg("ACK not sent")
	}
	if earlyStarted {
		c.mu.Lock()
		m := c.media
		c.mu.Unlock()
		if m != nil {
			if err := m.Secure(p.cfg.Secure(), neg); err != nil {
				c.hangUpSoon(err.Error())
				return
			}
			m.Update(neg, false)
		}
	} else if err := c.startMedia(neg); err != nil {
		// The call is established (ACK sent): whatever failed, hang up.
		reason := "media failed: " + err.Error()
		if errors.Is(err, sdp.ErrNotSecure) {
			reason = err.Error() // e.g. the DTLS handshake failed
		}
		c.hangUpSoon(reason)
		return
	}
	c.mu.Lock()
	c.connectedAt = time.Now()
	c.mu.Unlock()
	c.log.Info().Dur("setup", time.Since(t0)).Str("codec", neg.Send.Name).Msg("call connected")
	c.setState(StateConnected, "")
	c.watchDialog(sess.Context())
}

func (c *Call) setFinalCode(code int) {
	c.mu.Lock()
	c.finalCode = code
	c.mu.Unlock()
}

func failureReason(code int, reason string) string {
	switch code {
	case 404:
		return "not found (404)"
	case 408, 480:
		return fmt.Sprintf("no answer (%d)", code)
	case 486, 600:
		return fmt.Sprintf("busy (%d)", code)
	case 487:
		return "cancelled (487)"
	case 488, 606:
		return fmt.Sprintf("no common codec (%d)", code)
	case 603:
		return "declined (603)"
	}
	return fmt.Sprintf("%d %s", code, reason)
}
