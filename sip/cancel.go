package sip

import (
	"context"
	"errors"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

// Cancelling an outbound call that is not answered yet (RFC 3261 §9.1).
// sipgo sends a CANCEL when WaitAnswer's context ends, but routes it by
// the Record-Route of the latest response, or to the Request-URI's host
// when none had one: not necessarily where the INVITE went (the
// configured server, our outbound proxy). We send our own: the INVITE's
// Request-URI, Call-ID, From, To and CSeq number, its top Via alone (the
// same branch) and its Route set, to the INVITE's destination over its
// transport. sipgo's INVITE transaction stays and takes the 487 (which it
// acknowledges); WaitAnswer's context only ever ends with
// sipgo.WaitAnswerForceCancelErr, on which sipgo sends nothing.

// errCancelled stops the wait for an answer that a hang-up cancelled.
var errCancelled = errors.New("cancelled")

// cancelTimeout bounds the CANCEL's own transaction (64*T1).
const cancelTimeout = 32 * time.Second

// cancelRequest is the CANCEL of inv.
func cancelRequest(inv *sipmsg.Request) *sipmsg.Request {
	req := sipmsg.NewRequest(sipmsg.CANCEL, *inv.Recipient.Clone())
	req.AppendHeader(sipmsg.HeaderClone(inv.Via()))
	maxFwd := sipmsg.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(sipmsg.HeaderClone(inv.From()))
	req.AppendHeader(sipmsg.HeaderClone(inv.To()))
	req.AppendHeader(sipmsg.HeaderClone(inv.CallID()))
	req.AppendHeader(&sipmsg.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sipmsg.CANCEL})
	sipmsg.CopyHeaders("Route", inv, req)
	req.AppendHeader(sipmsg.NewHeader("User-Agent", "bpclient"))
	req.SetBody(nil)
	req.SetDestination(inv.Destination())
	req.SetTransport(inv.Transport())
	req.SetSource(inv.Source())
	req.Laddr = inv.Laddr
	return req
}

// provisionalTo notes a provisional response to our INVITE, inv as it
// was sent (WaitAnswer's goroutine calls it: it owns the request, which a
// challenge makes it send again with another branch). A CANCEL may go
// from now on, and goes at once when a hang-up asked for it.
func (c *Call) provisionalTo(inv *sipmsg.Request) {
	c.mu.Lock()
	if c.cancelReq == nil {
		c.cancelReq = cancelRequest(inv)
	}
	req, send := c.cancelReq, c.invite == inviteCancelAsked
	if send {
		c.invite = inviteCancelSent
	}
	c.mu.Unlock()
	if send {
		c.sendCancel(req)
	}
}

// finalTo notes a final response to our INVITE: its transaction is over,
// and a CANCEL built for it is of no use to a retried INVITE.
func (c *Call) finalTo() {
	c.mu.Lock()
	c.cancelReq = nil
	if c.invite == inviteCancelSent {
		c.invite = inviteCancelAsked
	}
	c.mu.Unlock()
}

// cancelInvite asks for the INVITE's CANCEL: it goes now when a
// provisional response has come, or with the first one (a CANCEL must
// not go before, RFC 3261 §9.1).
func (c *Call) cancelInvite() {
	c.mu.Lock()
	switch c.invite {
	case inviteNone:
		c.invite = inviteCancelled
	case inviteAwaiting:
		c.invite = inviteCancelAsked
	}
	req, send := c.cancelReq, c.cancelReq != nil && c.invite == inviteCancelAsked
	if send {
		c.invite = inviteCancelSent
	}
	c.mu.Unlock()
	if send {
		c.sendCancel(req)
	}
}

// isCancelling reports whether a hang-up asked for the INVITE's CANCEL.
func (c *Call) isCancelling() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.invite.cancelling()
}

// sendCancel sends req and waits for its answer in the background; the
// INVITE's transaction receives the 487.
func (c *Call) sendCancel(req *sipmsg.Request) {
	c.p.wg.Add(1)
	go func() {
		defer c.p.wg.Done()
		ctx, cancel := context.WithTimeout(c.p.ctx, cancelTimeout)
		defer cancel()
		res, err := c.p.cli.Do(ctx, req)
		switch {
		case err != nil:
			c.log.Warn().Err(err).Str("to", req.Destination()).Msg("CANCEL failed")
		case res.StatusCode != 200:
			c.log.Info().Int("status", res.StatusCode).Msg("CANCEL refused (the call may have been answered)")
		default:
			c.log.Debug().Str("to", req.Destination()).Msg("CANCEL accepted")
		}
	}()
}
