package screenapi

import (
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/screen/capture"
)

// probeFor is how long a probe's answer stands: a page polling
// screen.status or saying hello again does not reconnect to the X
// server each time, and a session that gains a display is seen soon.
const probeFor = 5 * time.Second

// probeCache holds the last probe's answer.
type probeCache struct {
	mu    sync.Mutex
	at    time.Time
	got   doctor.ScreenAvailability
	valid bool
}

// availability says whether this build can record this desktop and, if
// not, why (doctor's codes): the session's kind, the encoder, then a real
// open of the capture, whose answer is kept for probeFor. A recording
// that runs answers for itself.
func (s *Service) availability() doctor.ScreenAvailability {
	s.mu.Lock()
	running := s.active != nil
	s.mu.Unlock()
	if running {
		return doctor.ScreenAvailability{}
	}
	s.probe.mu.Lock()
	defer s.probe.mu.Unlock()
	now := s.o.Clock.Now()
	if s.probe.valid && now.Sub(s.probe.at) < probeFor {
		return s.probe.got
	}
	p := doctor.ScreenProbe{GOOS: runtime.GOOS, Getenv: s.o.Getenv}
	var backend capture.Backend
	if open := s.o.Capture; open != nil || s.feeds != nil {
		if open == nil {
			open = s.feeds.Open
		}
		p.Open = func() error {
			g, err := open("all")
			if err != nil {
				return err
			}
			backend = capture.BackendOf(g)
			return g.Close()
		}
	}
	if s.o.Parts.NewEncoder == nil || s.o.Parts.NewSegment == nil {
		p.Encoder = s.o.Unavailable
		if p.Encoder == nil {
			p.Encoder = errors.New("no encoder or muxer given")
		}
	}
	s.probe.at, s.probe.got, s.probe.valid = now, p.Run(), true
	s.probe.got.Backend = backend
	return s.probe.got
}

// unavailable is availability as an error, or nil.
func (s *Service) unavailable() error {
	if a := s.availability(); !a.Available() {
		return errors.New(a.Reason)
	}
	return nil
}
