package screenapi

import (
	"context"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/screen/record"
	"github.com/openbpclient/bpclient/screen/spool"
)

// statusView is screen.status's answer; helper.status's "screen" entry
// is its first four fields (other sites learn only that one runs).
type statusView struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"` // why unavailable
	State     string `json:"state"`
	// ReasonCode is why unavailable as one of doctor's Screen* codes.
	ReasonCode string `json:"reasonCode,omitempty"`
	// CaptureBackend is how the probe's capture grabbed ("dxgi", "gdi",
	// "x11-shm", "x11"), CaptureFallback why not the better way.
	CaptureBackend  string `json:"captureBackend,omitempty"`
	CaptureFallback string `json:"captureFallback,omitempty"`

	RecordingID    string        `json:"recordingId,omitempty"`
	StateReason    string        `json:"stateReason,omitempty"`
	FPS            int           `json:"fps,omitempty"`
	MaxWidth       int           `json:"maxWidth,omitempty"`
	Screens        string        `json:"screens,omitempty"`
	SegmentSeconds int           `json:"segmentSeconds,omitempty"`
	Frames         int           `json:"frames,omitempty"`
	Segments       int           `json:"segments,omitempty"`
	Pending        int           `json:"pendingSegments,omitempty"`
	Spool          *spool.Stats  `json:"spool,omitempty"`
	Stats          *record.Stats `json:"-"`
}

func (s *Service) view(c *agent.Call) statusView {
	v := statusView{Available: true, State: string(record.Idle)}
	av := s.availability()
	if !av.Available() {
		v.Available, v.Reason, v.ReasonCode = false, av.Reason, av.Code
	}
	v.CaptureBackend, v.CaptureFallback = av.Backend.Name, av.Backend.Fallback
	s.mu.Lock()
	a := s.active
	s.mu.Unlock()
	if a == nil {
		return v
	}
	st, reason := a.rec.State()
	v.State = string(st)
	if c == nil || a.page != (c.Kind == "page") || (a.page && a.origin != c.PageOrigin) {
		return v
	}
	stats := a.rec.Stats()
	sp := s.spool.Stats()
	p := a.params
	v.RecordingID, v.StateReason, v.FPS, v.MaxWidth, v.Screens, v.SegmentSeconds = p.RecordingID, reason, p.FPS, p.MaxWidth, p.Screens, p.SegmentSeconds
	v.Frames, v.Segments, v.Pending, v.Spool = stats.Frames, stats.Segments, s.spool.Pending(p.RecordingID), &sp
	return v
}

// Status implements agent.Service.
func (s *Service) Status() any { return s.view(nil) }

func (s *Service) status(_ context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	return s.view(c), nil
}
