// Package presenceapi is the agent's "presence" service: whether the user
// is at the keyboard, from the desktop's input idle time (desktop/idle).
// presence.configure sets after how long without input the user is idle,
// presence.status reads the state, and presence.changed tells every
// session when it changes. Only the idle time is read, never keystrokes
// or pointer positions.
package presenceapi

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/idle"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// States and the event.
const (
	StateActive  = "active"
	StateIdle    = "idle"
	StateLocked  = "locked"
	EventChanged = "presence.changed"
)

const (
	defaultIdleAfter = 300 * time.Second
	maxIdleAfterSec  = 86400
	// defaultInterval is how often the idle time is read: input after
	// idle is seen within it (the API promises 1 s). One X round trip.
	defaultInterval = 500 * time.Millisecond
)

// Options configure the service.
type Options struct {
	Logger zerolog.Logger
	// Source reads the idle time; nil: none (Unavailable says why).
	Source      idle.Source
	Unavailable error
	Events      agent.Broadcaster
	// Now is the clock; nil: time.Now. Interval is how often the source
	// is read; 0: 500 ms.
	Now      func() time.Time
	Interval time.Duration
}

// Service implements agent.Service.
type Service struct {
	opts Options
	log  zerolog.Logger

	mu        sync.Mutex
	idleAfter time.Duration
	state     string
	since     time.Time
	idleFor   time.Duration
	readErr   string

	nudge chan struct{} // read now (the threshold changed)
	stop  chan struct{}
	wg    sync.WaitGroup
}

// New starts reading the source; Close stops.
func New(opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Interval <= 0 {
		opts.Interval = defaultInterval
	}
	s := &Service{opts: opts, log: opts.Logger.With().Str("svc", "presence").Logger(), idleAfter: defaultIdleAfter,
		nudge: make(chan struct{}, 1), stop: make(chan struct{})}
	if opts.Source != nil {
		s.poll() // a state from the start, without an event: nobody listens yet
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.run() }()
	}
	return s
}

// Close stops reading and closes the source.
func (s *Service) Close() {
	close(s.stop)
	s.wg.Wait()
	if s.opts.Source != nil {
		_ = s.opts.Source.Close()
	}
}

func (s *Service) run() {
	t := time.NewTicker(s.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.nudge:
		}
		s.poll()
	}
}

// poll reads the source and sends presence.changed when the state
// changed.
func (s *Service) poll() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r, err := s.opts.Source.Read(ctx)
	now := s.opts.Now()
	s.mu.Lock()
	if err != nil {
		if s.readErr == "" {
			s.log.Warn().Err(err).Msg("cannot read the idle time")
		}
		s.readErr = err.Error()
		s.mu.Unlock()
		return
	}
	s.readErr = ""
	state := StateActive
	switch {
	case r.Locked:
		state = StateLocked
	case r.Idle >= s.idleAfter:
		state = StateIdle
	}
	s.idleFor = r.Idle
	changed := state != s.state
	if changed {
		first := s.state == ""
		s.state = state
		s.since = now
		if state != StateLocked {
			// Idle and active both began with the last input.
			s.since = now.Add(-r.Idle)
		}
		if first {
			changed = false
		}
	}
	ev := s.snapshotLocked()
	s.mu.Unlock()
	if changed && s.opts.Events != nil {
		s.log.Info().Str("state", ev.State).Msg("presence changed")
		s.opts.Events.Broadcast(EventChanged, changedEvent{State: ev.State, IdleSeconds: ev.IdleSeconds, Since: ev.Since})
	}
}

type changedEvent struct {
	State       string  `json:"state"`
	IdleSeconds float64 `json:"idleSeconds"`
	Since       string  `json:"since"`
}

type status struct {
	Available        bool    `json:"available"`
	Source           string  `json:"source,omitempty"`
	LockSource       string  `json:"lockSource,omitempty"`
	Note             string  `json:"note,omitempty"`
	Reason           string  `json:"reason,omitempty"`
	State            string  `json:"state,omitempty"`
	IdleSeconds      float64 `json:"idleSeconds"`
	Since            string  `json:"since,omitempty"`
	IdleAfterSeconds float64 `json:"idleAfterSeconds"`
}

func (s *Service) snapshotLocked() status {
	st := status{Available: s.opts.Source != nil, State: s.state, IdleSeconds: s.idleFor.Round(time.Millisecond).Seconds(),
		IdleAfterSeconds: s.idleAfter.Seconds(), Reason: s.readErr}
	if s.opts.Source != nil {
		st.Source = s.opts.Source.Name()
		if d, ok := s.opts.Source.(idle.Detailer); ok {
			st.LockSource, st.Note = d.Details().Lock, d.Details().Note
		}
	} else if s.opts.Unavailable != nil {
		st.Reason = s.opts.Unavailable.Error()
	}
	if !s.since.IsZero() {
		st.Since = s.since.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	return st
}

// Name implements agent.Service.
func (s *Service) Name() string { return "presence" }

// Capabilities implements agent.Service.
func (s *Service) Capabilities() []string {
	if s.opts.Source == nil {
		return nil
	}
	return []string{"presence"}
}

// Status implements agent.Service: helper.status's "presence" entry
// names the source in use.
func (s *Service) Status() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

// Methods implements agent.Service.
func (s *Service) Methods() map[string]agent.Method {
	return map[string]agent.Method{
		"presence.status":    func(context.Context, *agent.Call) (any, *jsonrpc.Error) { return s.Status(), nil },
		"presence.configure": s.configure,
	}
}

func (s *Service) configure(_ context.Context, call *agent.Call) (any, *jsonrpc.Error) {
	var p struct {
		IdleAfterSeconds *float64 `json:"idleAfterSeconds"`
	}
	if err := call.Decode(&p); err != nil {
		return nil, err
	}
	after := defaultIdleAfter
	if p.IdleAfterSeconds != nil {
		v := *p.IdleAfterSeconds
		if !(v >= 1 && v <= maxIdleAfterSec) {
			return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: idleAfterSeconds: 1 to %d", maxIdleAfterSec)
		}
		after = time.Duration(v * float64(time.Second))
	}
	if s.opts.Source == nil {
		why := "no idle source"
		if s.opts.Unavailable != nil {
			why = s.opts.Unavailable.Error()
		}
		return nil, jsonrpc.Errorf(jsonrpc.CodePresence, "presence is unavailable: %s", why).
			WithData(map[string]string{"reason": jsonrpc.ReasonUnavailable})
	}
	s.mu.Lock()
	s.idleAfter = after
	s.mu.Unlock()
	select {
	case s.nudge <- struct{}{}:
	default:
	}
	return s.Status(), nil
}
