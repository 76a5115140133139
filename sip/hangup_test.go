package sip_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/sip"
)

// answer sends a response without body to the request whose header
// lines are head.
func (lc *lateCaller) answer(head []string, status string) {
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %s\r\n", status)
	for _, l := range head[1:] {
		name, _, _ := strings.Cut(l, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "v", "from", "f", "to", "t", "call-id", "i", "cseq":
			b.WriteString(l + "\r\n")
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	lc.send(b.String())
}

// TestHangupCrossedByRemoteBye: the page hangs up, and the remote's own
// BYE reaches the phone before the answer to ours. The call ended as the
// page asked: its reason stays "local hangup" (not "remote hangup"), and
// our BYE is answered.
func TestHangupCrossedByRemoteBye(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), sip.HangGuard)
	defer cancel()
	k, ev, lc, c := lateCallUp(ctx, t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s", k.Log())
		}
	})

	hungUp := make(chan error, 1)
	go func() { hungUp <- c.Hangup(ctx) }()
	ours := lc.awaitRequest("BYE")
	lc.request("BYE", 2, "")
	if st := lc.final(); !strings.HasPrefix(st, "SIP/2.0 ") {
		t.Errorf("the phone's answer to the crossing BYE: %q", st)
	}
	lc.answer(ours, "200 OK")
	select {
	case err := <-hungUp:
		if err != nil {
			t.Errorf("Hangup: %v", err)
		}
	case <-ctx.Done():
		t.Fatalf("hang guard (%v): Hangup did not return", sip.HangGuard)
	}
	if end := ev.waitCall(t, sip.StateEnded); end.Reason != "local hangup" {
		t.Errorf("end reason %q, want %q", end.Reason, "local hangup")
	}
}
