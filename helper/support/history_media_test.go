package support

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/sip"
)

// TestHistoryKeepsMicrophoneAndLostAudio: a call's loudest microphone
// level, its received packets and whether its audio was missing at the
// end are kept in its summary, and survive a restart; audio that came
// back before the end is no lost connection.
func TestHistoryKeepsMicrophoneAndLostAudio(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { now = now.Add(time.Second); return now }
	file := filepath.Join(t.TempDir(), HistoryFileName)
	h, err := OpenHistory(file, clock, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	peak := func(v float64) *float64 { return &v }
	call := func(id string, issues ...bool) {
		h.Observe(sip.EventCallState, sip.CallState{CallID: id, State: sip.StateConnected})
		h.Observe(sip.EventQualityReport, sip.QualityReport{CallID: id, MOS: 4.4, PacketsReceived: 50, MicPeak: peak(0.2)})
		h.Observe(sip.EventQualityReport, sip.QualityReport{CallID: id, MOS: 4.4, PacketsReceived: 100, MicPeak: peak(0.1)})
		for _, active := range issues {
			h.Observe(sip.EventNetworkIssue, sip.NetworkIssue{CallID: id, Active: active, Message: "a network issue"})
		}
		h.Observe(sip.EventCallState, sip.CallState{CallID: id, State: sip.StateEnded, Reason: "local hangup"})
	}
	call("lost", true)
	call("recovered", true, false)
	again, err := OpenHistory(file, clock, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	calls := again.Snapshot().Calls
	if len(calls) != 2 {
		t.Fatalf("%d calls after the restart", len(calls))
	}
	lost, recovered := calls[0].Summary, calls[1].Summary
	if lost.MicPeak == nil || *lost.MicPeak != 0.2 || lost.PacketsReceived == nil || *lost.PacketsReceived != 100 {
		t.Errorf("the lost call's summary: %+v", lost)
	}
	if lost.AudioStops != 1 || !lost.EndedWithoutAudio {
		t.Errorf("the lost call: %d stops, ended without audio %v", lost.AudioStops, lost.EndedWithoutAudio)
	}
	if recovered.AudioStops != 1 || recovered.EndedWithoutAudio {
		t.Errorf("the recovered call: %d stops, ended without audio %v", recovered.AudioStops, recovered.EndedWithoutAudio)
	}
}
