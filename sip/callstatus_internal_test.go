package sip

import "testing"

func TestHoldStatusStateOursFirst(t *testing.T) {
	for _, tc := range []struct {
		us, remote bool
		want       string
	}{
		{false, false, StateConnected},
		{true, false, StateHeld},
		{false, true, StateRemoteHeld},
		{true, true, StateHeld},
	} {
		var h holdStatus
		h = h.with(heldByUs, tc.us).with(heldByRemote, tc.remote)
		if h.byUs() != tc.us || h.byRemote() != tc.remote {
			t.Errorf("us=%v remote=%v: byUs %v byRemote %v", tc.us, tc.remote, h.byUs(), h.byRemote())
		}
		if got := h.state(); got != tc.want {
			t.Errorf("us=%v remote=%v: state %q, want %q", tc.us, tc.remote, got, tc.want)
		}
		// Releasing one side leaves the other's hold as it was.
		if got := h.with(heldByUs, false).byRemote(); got != tc.remote {
			t.Errorf("us=%v remote=%v: resuming ours changed the remote's hold to %v", tc.us, tc.remote, got)
		}
	}
}

func TestInviteStatusAnswered(t *testing.T) {
	for _, tc := range []struct {
		s                    inviteStatus
		awaiting, cancelling bool
		answered             inviteStatus
	}{
		{inviteNone, false, false, inviteNone},
		{inviteAwaiting, true, false, inviteNone},
		{inviteCancelAsked, true, true, inviteCancelled},
		{inviteCancelSent, true, true, inviteCancelled},
		{inviteCancelled, false, true, inviteCancelled},
	} {
		if got := tc.s.awaiting(); got != tc.awaiting {
			t.Errorf("%d: awaiting %v, want %v", tc.s, got, tc.awaiting)
		}
		if got := tc.s.cancelling(); got != tc.cancelling {
			t.Errorf("%d: cancelling %v, want %v", tc.s, got, tc.cancelling)
		}
		if got := tc.s.answered(); got != tc.answered {
			t.Errorf("%d: answered %d, want %d", tc.s, got, tc.answered)
		}
	}
}

// TestCancelInviteStatus: a hang-up's CANCEL waits for a provisional
// response (none has come: nothing to send yet); one asked for after the
// wait is still remembered, and a final answer makes a sent CANCEL due
// again for the retried INVITE.
func TestCancelInviteStatus(t *testing.T) {
	for _, tc := range []struct {
		from, want inviteStatus
	}{
		{inviteNone, inviteCancelled},
		{inviteAwaiting, inviteCancelAsked},
		{inviteCancelAsked, inviteCancelAsked},
		{inviteCancelled, inviteCancelled},
	} {
		c := &Call{invite: tc.from}
		c.cancelInvite()
		if c.invite != tc.want || !c.isCancelling() {
			t.Errorf("from %d: status %d, want %d", tc.from, c.invite, tc.want)
		}
	}
	c := &Call{invite: inviteCancelSent}
	c.finalTo()
	if c.invite != inviteCancelAsked || c.cancelReq != nil {
		t.Errorf("after a final answer: status %d, CANCEL kept %v", c.invite, c.cancelReq != nil)
	}
}
