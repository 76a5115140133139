// Package monitorapi is the agent's live-monitoring service (issue 16):
// on the agent's machine screen.monitor.* offers the screen to one
// supervisor at a time over WebRTC (screen/live), and on the
// supervisor's machine screen.view.* answers such an offer and hands the
// decoded pictures to the page as screen.view.frame events. The pages
// carry the offer, the answer and the ICE candidates between the two
// helpers; the helper has no server of its own.
//
// Each monitoring and each view belongs to the origin of the page that
// started it: another origin is told of it nothing, and its requests
// about it are answered as for an id that does not exist. When that page's
// session closes, what it started stops.
package monitorapi

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/screen/live"
)

// Event names.
const (
	EventMonitorCandidate = "screen.monitor.candidate"
	EventMonitorState     = "screen.monitor.state"
	EventViewCandidate    = "screen.view.candidate"
	EventViewState        = "screen.view.state"
	EventViewFrame        = "screen.view.frame"
)

// Server is what the service needs of the agent: events to an audience
// and to one session.
type Server interface {
	agent.AudienceBroadcaster
	agent.SessionSender
}

// Indicator shows the agent that monitoring is on; notify.Notifier is one.
type Indicator interface {
	Show(ctx context.Context, n notify.Notification) (notify.ID, error)
	Close(ctx context.Context, id notify.ID) error
}

// Options configure the service.
type Options struct {
	Logger zerolog.Logger
	Server Server
	// Source gives the frames of the agent's screen; nil: this agent
	// cannot be monitored (SourceUnavailable says why).
	Source            live.Source
	SourceUnavailable error
	// NewDecoder makes the VP8 decoder of a view; nil: this helper cannot
	// view (DecoderUnavailable says why).
	NewDecoder         func() (live.Decoder, error)
	DecoderUnavailable error
	// Policy says whether the agent is shown that monitoring is on
	// (screenMonitoringIndicator); Indicator shows it. Either nil: none.
	Policy    *policy.Store
	Indicator Indicator
	// ICE is where candidates come from (host candidates by default).
	ICE live.ICEConfig
	// Now is the clock of the frame events' rate cap; nil is time.Now.
	Now func() time.Time
	// MaxViews bounds the views a supervisor's helper runs at once.
	MaxViews int
}

// defaultMaxViews: a supervisor watches a handful of agents at most.
const defaultMaxViews = 4

// Service implements agent.Service.
type Service struct {
	opts Options
	log  zerolog.Logger

	mu      sync.Mutex
	monitor *monitoring // one at a time: see offer
	views   map[string]*view
	closed  bool
}

// New returns the service; Close stops what runs.
func New(opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxViews <= 0 {
		opts.MaxViews = defaultMaxViews
	}
	return &Service{opts: opts, log: opts.Logger.With().Str("svc", "screen-live").Logger(), views: map[string]*view{}}
}

// Name implements agent.Service.
func (s *Service) Name() string { return "screenLive" }

// Capabilities implements agent.Service: "screen-monitor" when this
// agent's screen can be watched, "screen-view" when it can watch.
func (s *Service) Capabilities() []string {
	var caps []string
	if s.opts.Source != nil {
		caps = append(caps, "screen-monitor")
	}
	if s.opts.NewDecoder != nil {
		caps = append(caps, "screen-view")
	}
	return caps
}

// Methods implements agent.Service.
func (s *Service) Methods() map[string]agent.Method {
	return map[string]agent.Method{
		"screen.monitor.offer":     s.monitorOffer,
		"screen.monitor.answer":    s.monitorAnswer,
		"screen.monitor.candidate": s.monitorCandidate,
		"screen.monitor.stop":      s.monitorStop,
		"screen.view.start":        s.viewStart,
		"screen.view.candidate":    s.viewCandidate,
		"screen.view.stop":         s.viewStop,
		"screen.view.ack":          s.viewAck,
	}
}

type status struct {
	Monitor     bool   `json:"monitor"`
	MonitorWhy  string `json:"monitorUnavailable,omitempty"`
	View        bool   `json:"view"`
	ViewWhy     string `json:"viewUnavailable,omitempty"`
	Monitoring  bool   `json:"monitoring"`
	ViewsActive int    `json:"views"`
	// SentFrames and SentBytes count the VP8 of the monitoring running.
	SentFrames    int64 `json:"sentFrames,omitempty"`
	SentKeyframes int64 `json:"sentKeyframes,omitempty"`
	SentBytes     int64 `json:"sentBytes,omitempty"`
	// Paused: a recording's pause holds the capture; nothing is sent.
	Paused bool `json:"paused,omitempty"`
}

// Status implements agent.Service; StatusFor tells a page only of its
// own origin's monitoring and views.
func (s *Service) Status() any { return s.StatusFor(&agent.Call{Kind: "local"}) }

// StatusFor implements agent.CallerStatus.
func (s *Service) StatusFor(c *agent.Call) any {
	st := status{Monitor: s.opts.Source != nil, View: s.opts.NewDecoder != nil}
	if !st.Monitor {
		st.MonitorWhy = why(s.opts.SourceUnavailable, "no screen source in this build")
	}
	if !st.View {
		st.ViewWhy = why(s.opts.DecoderUnavailable, "no VP8 decoder in this build")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.monitor; m != nil && m.owner.admits(c) {
		st.Monitoring, st.SentFrames, st.SentKeyframes, st.SentBytes = true, m.frames.Load(), m.keys.Load(), m.bytes.Load()
		st.Paused = m.paused.Load()
	}
	for _, v := range s.views {
		if v.owner.admits(c) {
			st.ViewsActive++
		}
	}
	return st
}

func why(err error, fallback string) string {
	if err != nil {
		return err.Error()
	}
	return fallback
}

// SessionClosed implements agent.SessionWatcher: what the closed
// session started stops.
func (s *Service) SessionClosed(c *agent.Call) {
	s.mu.Lock()
	var stop []interface{ end(reason string) }
	if m := s.monitor; m != nil && m.owner.session == c.SessionID {
		stop = append(stop, m)
	}
	for _, v := range s.views {
		if v.owner.session == c.SessionID {
			stop = append(stop, v)
		}
	}
	s.mu.Unlock()
	for _, x := range stop {
		x.end(reasonPageLeft)
	}
}

// reasonPageLeft ends what a closed session had started.
const reasonPageLeft = "page-left"

// Close stops the monitoring and every view.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	m := s.monitor
	views := make([]*view, 0, len(s.views))
	for _, v := range s.views {
		views = append(views, v)
	}
	s.mu.Unlock()
	if m != nil {
		m.end(live.ReasonStopped)
	}
	for _, v := range views {
		v.end(live.ReasonStopped)
	}
}

// Busy reports whether a monitoring or a view runs.
func (s *Service) Busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.monitor != nil || len(s.views) > 0
}
