package support

import (
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip"
)

// TestHistoryIsBounded: registration changes and calls keep their newest
// entries only; a warning marks the report it follows instead of adding
// a sample.
func TestHistoryIsBounded(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	h := NewHistory(func() time.Time { return now })
	for i := 0; i < maxRegistrationChanges+5; i++ {
		h.Observe(sip.EventRegistrationState, sip.RegistrationState{State: sip.Registered})
	}
	for i := 0; i < maxCalls+3; i++ {
		id := string(rune('a' + i))
		h.Observe(sip.EventCallState, sip.CallState{CallID: id, State: sip.StateConnected})
		h.Observe(sip.EventQualityReport, sip.QualityReport{CallID: id, MOS: 4})
		h.Observe(sip.EventQualityWarning, sip.QualityReport{CallID: id, MOS: 4, Warnings: []string{"loss"}})
		now = now.Add(5 * time.Second)
	}
	s := h.Snapshot()
	if len(s.Registration) != maxRegistrationChanges || len(s.Calls) != maxCalls {
		t.Fatalf("%d registration changes, %d calls", len(s.Registration), len(s.Calls))
	}
	if s.Calls[0].CallID != string(rune('a'+3)) {
		t.Errorf("oldest call kept %q", s.Calls[0].CallID)
	}
	if c := s.Calls[0]; len(c.Samples) != 1 || len(c.Samples[0].Warnings) != 1 {
		t.Errorf("samples %+v", c.Samples)
	}
}
