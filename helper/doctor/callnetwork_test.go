package doctor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/support"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// callChecks runs the quality and connection checks on a call's history.
func callChecks(t *testing.T, h *support.History) (quality, dropped doctor.Result) {
	t.Helper()
	rep := doctor.New(nil, doctor.QualityCheck(h.QualityProbe), doctor.ConnectionCheck(h.QualityProbe)).
		Run(context.Background(), doctor.View{Local: true})
	quality, ok := rep.Find("network.quality")
	dropped, ok2 := rep.Find("network.callDropped")
	if !ok || !ok2 {
		t.Fatalf("checks missing: %+v", rep.Checks)
	}
	return quality, dropped
}

// TestQualityCheckNoRTPReceived: a real call whose relay drops all of
// the other side's RTP: the quality check warns that no audio arrived
// and names the firewall or NAT; that is not a lost connection.
func TestQualityCheckNoRTPReceived(t *testing.T) {
	h := qualityCall(t, &siptest.Impairment{Seed: 3, LossPct: 100})
	if h == nil {
		return
	}
	quality, dropped := callChecks(t, h)
	t.Logf("quality: %s", quality.Found)
	if quality.Status != doctor.Warning || !strings.Contains(quality.Found, "no audio arrived from the other side") ||
		!strings.Contains(quality.Fix, "firewall") || !strings.Contains(quality.Fix, "NAT") {
		t.Errorf("quality after a call without RTP: %+v", quality)
	}
	if dropped.Status != doctor.OK {
		t.Errorf("a call that never had audio counted as a lost connection: %+v", dropped)
	}
}

// TestConnectionCheckLostMidCall: a real call whose network goes away
// both ways after its audio flowed, and is hung up so: the connection
// check says the connection was lost during that call.
func TestConnectionCheckLostMidCall(t *testing.T) {
	h := realCall(t, callSetup{midCall: func(relay *siptest.RTPRelay, reports <-chan sip.QualityReport) {
		relay.Cut()
		// The phone's NoMediaTimeout is 1 s: two reports later the
		// audio has been missing for longer.
		for i := 0; i < 3; i++ {
			select {
			case <-reports:
			case <-time.After(10 * time.Second):
				t.Fatal("no quality reports after the cut")
			}
		}
	}})
	if h == nil {
		return
	}
	quality, dropped := callChecks(t, h)
	t.Logf("connection: %s", dropped.Found)
	if dropped.Status != doctor.Warning || !strings.Contains(dropped.Found, "you lost your connection during the call of") || dropped.Fix == "" {
		t.Errorf("after a call cut mid-way: %+v", dropped)
	}
	if strings.Contains(quality.Found, "no audio arrived") {
		t.Errorf("a call that had audio reported as none: %+v", quality)
	}
	// A call whose audio flowed to the end lost nothing.
	clean := qualityCall(t, nil)
	if _, d := callChecks(t, clean); d.Status != doctor.OK {
		t.Errorf("after a clean call: %+v", d)
	}
}
