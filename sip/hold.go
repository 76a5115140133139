package sip

import (
	"context"
	"errors"
	"fmt"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/openbpclient/bpclient/sip/sdp"
)

// Hold and resume: ours (a re-INVITE with a=sendonly) and the remote's
// (its re-INVITE, answered here).

// Hold puts the call on hold (re-INVITE with a=sendonly).
func (c *Call) Hold(ctx context.Context) error { return c.setHold(ctx, true) }

// Resume takes the call off hold (re-INVITE with a=sendrecv).
func (c *Call) Resume(ctx context.Context) error { return c.setHold(ctx, false) }

func (c *Call) setHold(ctx context.Context, hold bool) error {
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	if st != StateConnected && st != StateHeld && st != StateRemoteHeld {
		return fmt.Errorf("%w: the call is %s", ErrWrongState, st)
	}
	dir := sdp.SendRecv
	if hold {
		dir = sdp.SendOnly
	}
	res, err := c.inDialog(ctx, sipmsg.INVITE, c.buildSDP(dir), "application/sdp")
	if err != nil {
		return fmt.Errorf("re-INVITE: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("re-INVITE answered %d %s", res.StatusCode, res.Reason)
	}
	neg, err := c.negotiateAnswer(res.Body())
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if err == nil && m != nil {
		err = m.Secure(c.p.cfg.Secure(), neg)
	}
	if errors.Is(err, sdp.ErrNotSecure) {
		// The peer's 200 (ACKed) took its new keys into use and we
		// cannot follow: what it sends could not be decrypted, so the
		// call ends rather than go on without audio.
		c.hangUpSoon(secureMediaFailed(err))
		return fmt.Errorf("re-INVITE answer: %w", err)
	}
	if err != nil {
		return fmt.Errorf("re-INVITE answer: %w", err)
	}
	c.mu.Lock()
	c.hold = c.hold.with(heldByUs, hold)
	state := c.hold.state()
	c.mu.Unlock()
	if m != nil {
		m.Update(neg, hold)
	}
	c.setState(state, "")
	return nil
}

// onReinvite answers a re-INVITE: the remote holds or resumes.
func (p *Phone) onReinvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	c := p.callFor(req, tx)
	if c == nil {
		return
	}
	c.mu.Lock()
	srv, cli, m, held := c.srv, c.cli, c.media, c.hold.byUs()
	c.mu.Unlock()
	if srv != nil {
		_ = srv.ReadRequest(req, tx)
	} else if cli != nil {
		_ = cli.ReadRequest(req, tx)
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil || m == nil {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	c.mu.Lock()
	ours := c.offered
	c.mu.Unlock()
	neg, err := sdp.Answer(offer, ours)
	if err == nil {
		neg, err = c.secureReoffer(offer, neg)
	}
	// The new keys are checked before we answer for them: an offer we
	// cannot follow is refused and leaves the call, its media and its
	// keys as they were (RFC 3264 §8, RFC 4568 §7.1.4).
	var installKeys func()
	if err == nil {
		installKeys, err = m.PrepareSecure(p.cfg.Secure(), neg)
	}
	if err != nil {
		c.log.Info().Err(err).Msg("re-INVITE refused (488); the call goes on as it was")
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	want := sdp.SendRecv
	if held {
		want = sdp.SendOnly
	}
	body := c.buildSDP(sdp.AnswerDirection(offer.Direction, want))
	res := sipmsg.NewSDPResponseFromRequest(req, body)
	ct := p.contactHeader()
	res.AppendHeader(&ct)
	if err := tx.Respond(res); err != nil {
		return
	}
	installKeys()
	m.Update(neg, held)
	remoteHeld := offer.Direction == sdp.SendOnly || offer.Direction == sdp.Inactive
	c.mu.Lock()
	c.hold = c.hold.with(heldByRemote, remoteHeld)
	state := c.hold.state()
	c.mu.Unlock()
	c.setState(state, "")
}
