package sip_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip"
	"github.com/openbpclient/bpclient/sip/sdes"
)

// TestSecureNumbers measures CPU per call-minute in secure mode (SIP over
// TLS, SRTP) beside plain mode, and beside baresip doing the same in the
// same run, for BENCHMARKS.md. Like TestSoftphoneNumbers it only runs
// with BPCLIENT_SOFTPHONE_BENCH=1; numbers are printed, never asserted.
func TestSecureNumbers(t *testing.T) {
	if os.Getenv("BPCLIENT_SOFTPHONE_BENCH") == "" {
		t.Skip("set BPCLIENT_SOFTPHONE_BENCH=1 (scripts/bench.sh)")
	}
	callFor := 60 * time.Second
	if v, err := time.ParseDuration(os.Getenv("BPCLIENT_SOFTPHONE_CALL")); err == nil {
		callFor = v
	}
	perMin := func(d time.Duration) float64 { return d.Seconds() * float64(time.Minute) / float64(callFor) }
	measure := func(t *testing.T, pe *peers) (ours, theirs time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), callFor+time.Minute)
		defer cancel()
		c, err := pe.phone.Dial(ctx, "1002")
		if err != nil {
			t.Fatal(err)
		}
		pe.ev.waitCall(t, sip.StateConnected)
		time.Sleep(time.Second)
		o0, t0 := selfCPU(), procCPU(t, pe.b.Pid())
		time.Sleep(callFor)
		ours, theirs = selfCPU()-o0, procCPU(t, pe.b.Pid())-t0
		if st := c.State(); st.State != sip.StateConnected {
			t.Fatalf("the call did not last: %+v", st)
		}
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		pe.ev.waitCall(t, sip.StateEnded)
		return ours, theirs
	}
	t.Logf("calls of %v each, PCMU, 20 ms frames, loopback, one after the other", callFor)
	{
		pe := setupCallFor(t, []string{"PCMU"}, []string{"pcmu"}, "auto", callFor+time.Minute)
		o, th := measure(t, pe)
		t.Logf("plain (UDP, RTP):            bpclient %.3f s, baresip %.3f s CPU per call-minute", perMin(o), perMin(th))
		pe.b.Stop()
		pe.k.Stop()
	}
	for _, suite := range []string{sdes.AESCM128HMACSHA180, sdes.AEADAES128GCM} {
		pe := setupSecureFor(t, "srtp-mand", []string{suite}, "auto", callFor+time.Minute)
		o, th := measure(t, pe.peers)
		t.Logf("secure (TLS, %s): bpclient %.3f s, baresip %.3f s CPU per call-minute", suite, perMin(o), perMin(th))
		pe.b.Stop()
		pe.k.Stop()
	}
}
