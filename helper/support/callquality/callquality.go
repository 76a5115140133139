// Package callquality holds the types of a call's quality history: what
// the agent keeps (support.History) and what bpclient-chart draws. It
// imports nothing of bpclient's, so that bpclient-chart stays small.
package callquality

import "time"

// QualitySample is one quality.report of a call.
type QualitySample struct {
	At       time.Time `json:"at"`
	MOS      float64   `json:"mos"`
	LossPct  float64   `json:"lossPct"`
	JitterMs float64   `json:"jitterMs"`
	RTTMs    float64   `json:"rttMs"`
	// Warnings are the thresholds this report crossed (quality.warning).
	Warnings []string `json:"warnings,omitempty"`
}

// CallHistory is one call's states and quality over its time.
type CallHistory struct {
	CallID    string          `json:"callId"`
	Direction string          `json:"direction,omitempty"`
	Remote    string          `json:"remote,omitempty"`
	Codec     string          `json:"codec,omitempty"`
	Secure    bool            `json:"secure,omitempty"`
	Started   time.Time       `json:"started"`
	Ended     *time.Time      `json:"ended,omitempty"`
	EndReason string          `json:"endReason,omitempty"`
	Samples   []QualitySample `json:"samples"`
	// DroppedSamples counts the oldest samples left out to stay bounded.
	DroppedSamples int `json:"droppedSamples,omitempty"`
	// Summary sums up every report of the call, the dropped ones too.
	Summary *Summary `json:"summary,omitempty"`
	// Restored marks a call from before the agent last started: only
	// its summary was kept, not its samples.
	Restored bool `json:"restored,omitempty"`
	// audioMissing: the other side's audio has stopped and not come
	// back (between network.issue active and inactive).
	audioMissing bool
}

// AudioStopped notes a network.issue of the call: the other side's
// audio stopped (active) or came back.
func (c *CallHistory) AudioStopped(active bool) {
	if active && !c.audioMissing {
		c.summary().AudioStops++
	}
	c.audioMissing = active
}

// MarkEnded notes the end of the call: an end while its audio was
// missing is a lost connection.
func (c *CallHistory) MarkEnded() {
	if c.audioMissing {
		c.summary().EndedWithoutAudio = true
	}
}

func (c *CallHistory) summary() *Summary {
	if c.Summary == nil {
		c.Summary = &Summary{}
	}
	return c.Summary
}

// Summary is a call's quality in a few numbers: what the doctor's
// network check reads, and what survives an agent restart.
type Summary struct {
	Reports     int      `json:"reports"`
	MinMOS      float64  `json:"minMos"`
	MeanMOS     float64  `json:"meanMos"`
	MaxLossPct  float64  `json:"maxLossPct"`
	MaxJitterMs float64  `json:"maxJitterMs"`
	MaxRTTMs    float64  `json:"maxRttMs"`
	Warnings    []string `json:"warnings,omitempty"` // each kind once
	// PacketsReceived is the other side's RTP packets the call received
	// by its last report; absent in a history from before it was kept.
	PacketsReceived *uint64 `json:"packetsReceived,omitempty"`
	// MicPeak is the loudest microphone sample the call sent (0..1 of
	// full scale, muted frames left out); absent: no microphone frame
	// was sent, or the history is older. A number, never the audio.
	MicPeak *float64 `json:"micPeak,omitempty"`
	// AudioStops counts the times the other side's audio stopped
	// arriving (network.issue); EndedWithoutAudio says it had not come
	// back when the call ended: the connection was lost.
	AudioStops        int  `json:"audioStops,omitempty"`
	EndedWithoutAudio bool `json:"endedWithoutAudio,omitempty"`
}

// AddMedia notes a report's counts of what the call received and how
// loud its microphone was (each report carries the call's totals).
func (s *Summary) AddMedia(received uint64, micPeak *float64) {
	s.PacketsReceived = &received
	if micPeak != nil {
		p := *micPeak
		if s.MicPeak != nil {
			p = max(p, *s.MicPeak)
		}
		s.MicPeak = &p
	}
}

// Add counts one report in the summary.
func (s *Summary) Add(q QualitySample) {
	if s.Reports == 0 || q.MOS < s.MinMOS {
		s.MinMOS = q.MOS
	}
	s.MeanMOS += (q.MOS - s.MeanMOS) / float64(s.Reports+1)
	s.Reports++
	s.MaxLossPct = max(s.MaxLossPct, q.LossPct)
	s.MaxJitterMs = max(s.MaxJitterMs, q.JitterMs)
	s.MaxRTTMs = max(s.MaxRTTMs, q.RTTMs)
	s.AddWarnings(q.Warnings)
}

// AddWarnings notes the thresholds a report already counted crossed.
func (s *Summary) AddWarnings(ws []string) {
	for _, w := range ws {
		if !contains(s.Warnings, w) {
			s.Warnings = append(s.Warnings, w)
		}
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Duration is how long the call lasted, or has lasted until now.
func (c CallHistory) Duration(now time.Time) time.Duration {
	if c.Ended != nil {
		return c.Ended.Sub(c.Started)
	}
	return now.Sub(c.Started)
}

// ChartInput is what `bpclient logs collect` writes to bpclient-chart's
// stdin: the calls of the agent's history, oldest first.
type ChartInput struct {
	Calls []CallHistory `json:"calls"`
}
