package sip

// The status of a call beside its API state (Call.state): who holds it,
// and how far the wait for the answer to our INVITE is.

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

func (h holdStatus) byUs() bool { return h&heldByUs != 0 }

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
