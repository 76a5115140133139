package support

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/sip"
)

// TestHistorySurvivesARestart: a history opened on a file keeps its last
// calls' summaries there, private and bounded; a second one opened on the
// same file (the agent started again) has those calls, marked restored,
// with their summaries and without samples.
func TestHistorySurvivesARestart(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	file := filepath.Join(t.TempDir(), "state", HistoryFileName)
	h, err := OpenHistory(file, clock, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < maxCalls+2; i++ {
		id := "call-" + strconv.Itoa(i)
		h.Observe(sip.EventCallState, sip.CallState{CallID: id, State: sip.StateConnected, Remote: "sip:100" + strconv.Itoa(i) + "@pbx"})
		for j := 0; j < 3; j++ {
			now = now.Add(5 * time.Second)
			h.Observe(sip.EventQualityReport, sip.QualityReport{CallID: id, MOS: 4.4 - float64(j), LossPct: float64(j * 2), JitterMs: 10, RTTMs: 30})
		}
		h.Observe(sip.EventQualityWarning, sip.QualityReport{CallID: id, MOS: 2.4, LossPct: 4, Warnings: []string{"loss"}})
		h.Observe(sip.EventCallState, sip.CallState{CallID: id, State: sip.StateEnded, Reason: "local hangup"})
	}
	// One call still up when the agent stops.
	h.Observe(sip.EventCallState, sip.CallState{CallID: "up", State: sip.StateConnected})
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("the history file's mode is %v, want 0600", info.Mode().Perm())
	}
	if dir, _ := os.Stat(filepath.Dir(file)); dir.Mode().Perm() != 0o700 {
		t.Errorf("its folder's mode is %v, want 0700", dir.Mode().Perm())
	}

	again, err := OpenHistory(file, clock, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	s := again.Snapshot()
	if len(s.Calls) != maxCalls {
		t.Fatalf("after the restart %d calls, want %d", len(s.Calls), maxCalls)
	}
	last := s.Calls[maxCalls-2]
	if last.CallID != "call-"+strconv.Itoa(maxCalls+1) || !last.Restored || len(last.Samples) != 0 || last.EndReason != "local hangup" {
		t.Errorf("restored call %+v", last)
	}
	sum := last.Summary
	if sum == nil || sum.Reports != 3 || math.Abs(sum.MinMOS-2.4) > 1e-9 || sum.MaxLossPct != 4 || len(sum.Warnings) != 1 || sum.Warnings[0] != "loss" {
		t.Errorf("restored summary %+v, want 3 reports, min MOS 2.4, loss 4, a loss warning", sum)
	}
	if up := s.Calls[maxCalls-1]; up.CallID != "up" || up.Ended != nil || up.EndReason != "the agent stopped during the call" {
		t.Errorf("the call that was up: %+v", up)
	}
	// A new call after the restart pushes out the oldest restored one.
	again.Observe(sip.EventCallState, sip.CallState{CallID: "new", State: sip.StateConnected})
	if s := again.Snapshot(); len(s.Calls) != maxCalls || s.Calls[maxCalls-1].CallID != "new" || s.Calls[maxCalls-1].Restored {
		t.Errorf("after a new call: %d calls, last %+v", len(s.Calls), s.Calls[len(s.Calls)-1])
	}
}

// TestHistoryFileUnreadable: a corrupt file is reported and the history
// starts empty, then replaces it.
func TestHistoryFileUnreadable(t *testing.T) {
	file := filepath.Join(t.TempDir(), HistoryFileName)
	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := OpenHistory(file, nil, zerolog.Nop())
	if err == nil {
		t.Error("a corrupt history file was not reported")
	}
	h.Observe(sip.EventCallState, sip.CallState{CallID: "c1", State: sip.StateConnected})
	if again, err := OpenHistory(file, nil, zerolog.Nop()); err != nil || len(again.Snapshot().Calls) != 1 {
		t.Errorf("after the next call: %v, %d calls", err, len(again.Snapshot().Calls))
	}
}
