package sip

import (
	"context"
	"time"
)

// The status of a call beside its API state (Call.state): who holds it,
// how far the wait for the answer to our INVITE is, and the one way an
// established call is hung up on our side.

// holdStatus says which sides hold a call: none, us, the remote, or both.
type holdStatus uint8

const (
	heldByUs holdStatus = 1 << iota
	heldByRemote
)

// with is h with side's hold set or cleared.
func (h holdStatus) with(side holdStatus, on bool) holdStatus {
	if on {
		return h | side
	}
	return h &^ side
}

func (h holdStatus) byUs() bool     { return h&heldByUs != 0 }
func (h holdStatus) byRemote() bool { return h&heldByRemote != 0 }

// state is the call's API state for h, ours first: a call we hold is
// held whatever the remote does.
func (h holdStatus) state() string {
	switch {
	case h.byUs():
		return StateHeld
	case h.byRemote():
		return StateRemoteHeld
	}
	return StateConnected
}

// inviteStatus is how far our INVITE's wait for its final answer is, and
// whether a hang-up asked for its CANCEL (cancel.go).
type inviteStatus uint8

const (
	// inviteNone: no INVITE of ours waits (an inbound call, or an
	// outbound one before its INVITE or after its final answer, not
	// cancelled).
	inviteNone inviteStatus = iota
	// inviteAwaiting: our INVITE waits for its final answer.
	inviteAwaiting
	// inviteCancelAsked: it waits, and a hang-up asked for the CANCEL,
	// which goes with the next provisional response.
	inviteCancelAsked
	// inviteCancelSent: it waits, and its CANCEL is sent.
	inviteCancelSent
	// inviteCancelled: a hang-up asked for the CANCEL and the wait is
	// over: an answer that came anyway is hung up.
	inviteCancelled
)

// awaiting reports whether the INVITE still waits for its final answer.
func (s inviteStatus) awaiting() bool {
	return s == inviteAwaiting || s == inviteCancelAsked || s == inviteCancelSent
}

// cancelling reports whether a hang-up asked for the INVITE's CANCEL.
func (s inviteStatus) cancelling() bool {
	return s == inviteCancelAsked || s == inviteCancelSent || s == inviteCancelled
}

// answered is the status once the wait for the final answer is over.
func (s inviteStatus) answered() inviteStatus {
	if s.cancelling() {
		return inviteCancelled
	}
	return inviteNone
}

// endedLocked reports whether the call has ended.
func (c *Call) endedLocked() bool { return c.state == StateEnded }

// byeTimeout bounds the BYE of a call the phone itself hangs up.
const byeTimeout = 5 * time.Second

// hangUp is how an established call ends on our side: the call ends with
// reason first, so that a BYE of the peer crossing ours, or the dialog's
// end, cannot turn reason into "remote hangup"; then our BYE goes, bounded
// by ctx. sipgo sends none on a dialog the peer has ended already.
func (c *Call) hangUp(ctx context.Context, reason string) error {
	c.endingAs(reason)
	c.end(reason)
	c.mu.Lock()
	cli, srv := c.cli, c.srv
	c.mu.Unlock()
	switch {
	case cli != nil:
		return cli.Bye(ctx)
	case srv != nil:
		return srv.Bye(ctx)
	}
	return nil
}

// hangUpSoon is hangUp for the phone's own decisions, which no caller
// waits for: the BYE gets byeTimeout.
func (c *Call) hangUpSoon(reason string) {
	ctx, cancel := context.WithTimeout(c.p.ctx, byeTimeout)
	defer cancel()
	if err := c.hangUp(ctx, reason); err != nil {
		c.log.Debug().Err(err).Msg("BYE not answered")
	}
}
