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
