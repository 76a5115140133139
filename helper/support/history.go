// Package support gathers what support staff ask for when the helper
// misbehaves: a bounded recent history of the phone's registration and
// of each call's quality that the agent keeps (History, fed by Recorder),
// and the support bundle `bpclient logs collect` writes (Bundle), with
// secrets always scrubbed and phone numbers masked on request (Scrubber).
//
// The bundle's picture of the calls' quality is drawn by the chart
// subpackage, which only the bpclient-chart command links: bpclient runs
// it as a child, so that no bpclient process carries the plotting library.
package support

import (
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/support/callquality"
	"github.com/openbpclient/bpclient/sip"
)

// Bounds of the history: enough for a support person to see the last
// hour of calls, small enough that the agent never grows with them.
const (
	maxRegistrationChanges = 100
	maxCalls               = 10
	// maxSamplesPerCall is an hour of quality.report at the default 5 s.
	maxSamplesPerCall = 720
)

// RegistrationChange is one registration.state the phone published.
type RegistrationChange struct {
	At     time.Time `json:"at"`
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Server string    `json:"server,omitempty"`
}

// QualitySample and CallHistory are defined in callquality, which
// bpclient-chart reads without linking the rest of this package.
type (
	QualitySample = callquality.QualitySample
	CallHistory   = callquality.CallHistory
)

// Snapshot is the history as support.history answers it.
type Snapshot struct {
	Registration []RegistrationChange `json:"registration"`
	Calls        []CallHistory        `json:"calls"` // oldest first
}

// History is the agent's bounded memory of the phone's events. It is fed
// the events the phone publishes (Observe) and read by the support
// bundle. The zero value is not usable: build it with NewHistory.
type History struct {
	now func() time.Time
	// file keeps the calls' summaries across agent restarts (persist.go);
	// empty: memory only.
	file   string
	log    zerolog.Logger
	saveMu sync.Mutex
	saved  uint64 // the generation last written
	gen    uint64 // bumped under mu by each change worth saving

	mu    sync.Mutex
	reg   []RegistrationChange
	calls []*CallHistory // oldest first
}

// NewHistory returns an empty history on clock now (nil: time.Now).
func NewHistory(now func() time.Time) *History {
	if now == nil {
		now = time.Now
	}
	return &History{now: now, log: zerolog.Nop()}
}

// Observe records what of one phone event the history keeps; events it
// does not know are ignored.
func (h *History) Observe(name string, params any) {
	if h.observe(name, params) {
		h.save()
	}
}

// observe records the event and reports whether the change is one to
// save: a call's state, or a quality warning. Plain reports are not
// written each time; the call's end writes their summary.
func (h *History) observe(name string, params any) (save bool) {
	at := h.now().UTC()
	h.mu.Lock()
	defer h.mu.Unlock()
	defer func() {
		if save {
			h.gen++
		}
	}()
	switch v := params.(type) {
	case sip.RegistrationState:
		if name != sip.EventRegistrationState {
			return false
		}
		h.reg = appendBounded(h.reg, RegistrationChange{At: at, State: v.State, Reason: v.Reason, Server: v.Server}, maxRegistrationChanges)
		return false
	case sip.CallState:
		c := h.call(v.CallID, at)
		c.Direction, c.Remote = v.Direction, v.Remote
		if v.Codec != "" {
			c.Codec = v.Codec
		}
		c.Secure = c.Secure || v.Secure
		if v.State == sip.StateEnded && c.Ended == nil {
			c.Ended, c.EndReason = &at, v.Reason
			c.MarkEnded()
		}
		return true
	case sip.NetworkIssue:
		if name != sip.EventNetworkIssue || v.CallID == "" {
			return false
		}
		c := h.call(v.CallID, at)
		if c.Ended != nil {
			return false // the media's last word after the end
		}
		c.AudioStopped(v.Active)
		return v.Active
	case sip.QualityReport:
		c := h.call(v.CallID, at)
		s := QualitySample{At: at, MOS: v.MOS, LossPct: v.LossPct, JitterMs: v.JitterMs, RTTMs: v.RTTMs}
		if name == sip.EventQualityWarning {
			// The warning follows the report it repeats (sip/media):
			// keep one sample, marked.
			if n := len(c.Samples); n > 0 && at.Sub(c.Samples[n-1].At) < time.Second {
				c.Samples[n-1].Warnings = slices.Clone(v.Warnings)
				summaryOf(c).AddWarnings(v.Warnings)
				return true
			}
			s.Warnings = slices.Clone(v.Warnings)
		}
		if len(c.Samples) >= maxSamplesPerCall {
			c.DroppedSamples++
		}
		c.Samples = appendBounded(c.Samples, s, maxSamplesPerCall)
		summaryOf(c).Add(s)
		summaryOf(c).AddMedia(v.PacketsReceived, v.MicPeak)
		return name == sip.EventQualityWarning
	}
	return false
}

// call returns the history of callID, starting one (and forgetting the
// oldest call) when it is new. Call with mu held.
func (h *History) call(callID string, at time.Time) *CallHistory {
	for _, c := range h.calls {
		if c.CallID == callID {
			return c
		}
	}
	c := &CallHistory{CallID: callID, Started: at, Samples: []QualitySample{}}
	h.calls = appendBounded(h.calls, c, maxCalls)
	return c
}

// summaryOf is c's summary, started when c has none yet.
func summaryOf(c *CallHistory) *callquality.Summary {
	if c.Summary == nil {
		c.Summary = &callquality.Summary{}
	}
	return c.Summary
}

// Snapshot copies the history.
func (h *History) Snapshot() Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Snapshot{Registration: slices.Clone(h.reg), Calls: make([]CallHistory, 0, len(h.calls))}
	if s.Registration == nil {
		s.Registration = []RegistrationChange{}
	}
	for _, c := range h.calls {
		s.Calls = append(s.Calls, copyCall(c))
	}
	return s
}

func copyCall(c *CallHistory) CallHistory {
	cc := *c
	cc.Samples = slices.Clone(c.Samples)
	if c.Summary != nil {
		sum := *c.Summary
		sum.Warnings = slices.Clone(c.Summary.Warnings)
		if p := c.Summary.PacketsReceived; p != nil {
			n := *p
			sum.PacketsReceived = &n
		}
		if p := c.Summary.MicPeak; p != nil {
			v := *p
			sum.MicPeak = &v
		}
		cc.Summary = &sum
	}
	return cc
}

// appendBounded appends v, dropping the oldest entries beyond max.
func appendBounded[T any](list []T, v T, max int) []T {
	list = append(list, v)
	if over := len(list) - max; over > 0 {
		list = slices.Delete(list, 0, over)
	}
	return list
}
