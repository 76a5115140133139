package sip_test

import (
	"context"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip"
)

// TestNetworkIssue freezes the remote phone: RTP stops, network.issue
// fires; it thaws: the issue clears and the call goes on.
func TestNetworkIssue(t *testing.T) {
	t.Parallel()
	pe := setupCall(t, []string{"PCMU"}, nil, "auto")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dialConnected(ctx, t, pe, "1002")
	time.Sleep(500 * time.Millisecond)
	pe.b.Pause()
	t0 := time.Now()
	// The wait is a hang guard: how late the issue comes depends on the
	// machine's load; that it waits out the 3 s of silence
	// (NoMediaTimeout) rather than firing at the first late packet is the
	// behaviour asserted.
	ni := pe.ev.waitEvent(t, sip.EventNetworkIssue).(sip.NetworkIssue)
	if !ni.Active || ni.Message != "a network issue is disrupting your phone device" {
		t.Errorf("network.issue %+v", ni)
	}
	d := time.Since(t0)
	t.Logf("network.issue after %v of silence", d)
	if d < 2*time.Second {
		t.Errorf("network.issue after %v of silence, before the 3 s NoMediaTimeout", d)
	}
	pe.b.Continue()
	ni = pe.ev.waitEvent(t, sip.EventNetworkIssue).(sip.NetworkIssue)
	if ni.Active {
		t.Errorf("not cleared: %+v", ni)
	}
	if st := c.State().State; st != sip.StateConnected {
		t.Errorf("call is %s", st)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}
