package support

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/openbpclient/bpclient/sip"
)

// HistoryFromLog rebuilds what it can of the history from BPClient.log's
// lines (files newest first, as LogFiles lists them) when no agent runs
// to answer support.history: the registration changes and the calls'
// states the phone logged, and each call's quality reports (the agent's
// "quality" lines).
func HistoryFromLog(files []string, since time.Time) Snapshot {
	type line struct {
		Time      string   `json:"time"`
		Message   string   `json:"message"`
		State     string   `json:"state"`
		Reason    string   `json:"reason"`
		Server    string   `json:"server"`
		Call      string   `json:"call"`
		Direction string   `json:"direction"`
		Codec     string   `json:"codec"`
		MOS       float64  `json:"mos"`
		LossPct   float64  `json:"lossPct"`
		JitterMs  float64  `json:"jitterMs"`
		RTTMs     float64  `json:"rttMs"`
		Warnings  []string `json:"warnings"`
	}
	h := NewHistory(nil)
	// Oldest file first, so that the history keeps its order.
	for _, f := range slices.Backward(files) {
		data, err := readTail(f, maxLogRead)
		if err != nil {
			continue
		}
		for _, raw := range splitLines(data) {
			if !strings.Contains(raw, `"message":"registration"`) && !strings.Contains(raw, `"message":"call state"`) &&
				!strings.Contains(raw, `"message":"quality"`) {
				continue
			}
			var l line
			if json.Unmarshal([]byte(raw), &l) != nil {
				continue
			}
			at, err := time.Parse(time.RFC3339Nano, l.Time)
			if err != nil || at.Before(since) {
				continue
			}
			// The history's clock is the line's time.
			h.now = func() time.Time { return at }
			switch l.Message {
			case "registration":
				h.Observe(sip.EventRegistrationState, sip.RegistrationState{State: l.State, Reason: l.Reason, Server: l.Server})
			case "call state":
				if l.Call != "" {
					h.Observe(sip.EventCallState, sip.CallState{CallID: l.Call, Direction: l.Direction, State: l.State, Reason: l.Reason})
				}
			case "quality":
				if l.Call == "" {
					continue
				}
				q := sip.QualityReport{CallID: l.Call, Codec: l.Codec, MOS: l.MOS, LossPct: l.LossPct, JitterMs: l.JitterMs, RTTMs: l.RTTMs}
				h.Observe(sip.EventQualityReport, q)
				if len(l.Warnings) > 0 {
					// The warning repeats the report: it marks it.
					q.Warnings = l.Warnings
					h.Observe(sip.EventQualityWarning, q)
				}
			}
		}
	}
	return h.Snapshot()
}
