// Package desktopapi is the desktop API's broker in the agent: the Agent
// Desktop page attaches as the provider, local desktop applications (a
// CRM, a .NET tool) send it requests through the agent and hear the
// interaction events it publishes. docs/DESKTOP-API.md is the contract.
//
// The helper does not place the calls itself: they belong to the
// contact center, which only the page talks to. It routes, bounds and
// times out, and refuses each side the other side's methods.
package desktopapi

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// Event names the broker sends (append-only; docs/DESKTOP-API.md).
const (
	EventRequest  = "desktop.request"  // to the provider: an app's request
	EventEvent    = "desktop.event"    // to the user's clients: what the page published
	EventAttached = "desktop.attached" // a page attached (or replaced another)
	EventDetached = "desktop.detached" // the page detached or its session ended
)

// DefaultTimeout is how long an app waits for the page's answer.
const DefaultTimeout = 15 * time.Second

// maxPending bounds the requests waiting for the page, all apps together:
// a page that stops answering cannot make the agent hold without limit.
const maxPending = 64

// Options configure the Service.
type Options struct {
	Logger zerolog.Logger
	// Events sends the broker's events; *agent.Server is one.
	Events Server
	// Timeout is how long a request waits for the page; 0 means DefaultTimeout.
	Timeout time.Duration
	// AfterFunc is the clock: it calls f after d unless stopped. nil
	// means time.AfterFunc; tests fire it by hand.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// Screen is the agent's screen recorder, which pauseRecording and
	// resumeRecording with screen: true reach directly; nil: only the page.
	Screen ScreenRecorder
}

// ScreenRecorder is the agent's screen recording as the desktop API
// reaches it (helper/screenapi's Service is one): each reports whether a
// recording was paused or resumed.
type ScreenRecorder interface {
	DesktopPause() (bool, error)
	DesktopResume() (bool, error)
}

// Server is what the broker needs of the agent to send: events for the
// applications (an audience) and requests for the attached page (its one
// session). *agent.Server is one.
type Server interface {
	agent.AudienceBroadcaster
	agent.SessionSender
}

// Service is the broker; register it with the agent.
type Service struct {
	log       zerolog.Logger
	events    Server
	timeout   time.Duration
	afterFunc func(d time.Duration, f func()) (stop func() bool)
	screen    ScreenRecorder

	mu       sync.Mutex
	provider *provider
	pending  map[string]*pending
	nextID   int
}

// provider is the attached page.
type provider struct {
	sessionID string
	origin    string
	agent     Agent
	functions []string
}

// New returns a broker with no page attached.
func New(opts Options) *Service {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	after := opts.AfterFunc
	if after == nil {
		after = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	return &Service{log: opts.Logger, events: opts.Events, timeout: timeout, afterFunc: after, screen: opts.Screen,
		pending: make(map[string]*pending)}
}

// Name implements agent.Service.
func (s *Service) Name() string { return "desktop" }

// Capabilities implements agent.Service.
func (s *Service) Capabilities() []string { return []string{"desktop"} }

// Methods implements agent.Service.
func (s *Service) Methods() map[string]agent.Method {
	return map[string]agent.Method{
		// The page's (the provider's).
		"desktop.attach":  providerSide(s.attach),
		"desktop.detach":  providerSide(s.detach),
		"desktop.respond": providerSide(s.respond),
		"desktop.publish": providerSide(s.publish),
		// The applications'.
		"desktop.session":         appSide(s.session),
		"desktop.makeCall":        appSide(s.makeCall),
		"desktop.pauseRecording":  appSide(s.recording("pauseRecording")),
		"desktop.resumeRecording": appSide(s.recording("resumeRecording")),
		"desktop.status":          appSide(s.status),
	}
}

// providerSide refuses desktop applications: an app posing as the Agent
// Desktop could answer other apps' requests or publish calls.
func providerSide(m agent.Method) agent.Method {
	return func(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
		if c.DesktopApp {
			return nil, jsonrpc.Errorf(jsonrpc.CodeNotAllowed, "not allowed: a desktop application cannot call the Agent Desktop's own methods").
				WithData(map[string]string{"reason": jsonrpc.ReasonProviderOnly})
		}
		return m(ctx, c)
	}
}

// appSide refuses everyone but a desktop application: a page must not
// make the Agent Desktop (maybe another site's) dial or stop recording.
func appSide(m agent.Method) agent.Method {
	return func(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
		if !c.DesktopApp {
			return nil, jsonrpc.Errorf(jsonrpc.CodeNotAllowed, "not allowed: only a desktop application (helper.hello with desktopApp: true) may call this method").
				WithData(map[string]string{"reason": jsonrpc.ReasonDesktopAppOnly})
		}
		return m(ctx, c)
	}
}

// sessionView is desktop.session's answer and helper.status's entry.
type sessionView struct {
	Attached  bool     `json:"attached"`
	Agent     *Agent   `json:"agent,omitempty"`
	Functions []string `json:"functions,omitempty"`
}

func (s *Service) view() sessionView {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider == nil {
		return sessionView{}
	}
	a := s.provider.agent
	return sessionView{Attached: true, Agent: &a, Functions: append([]string(nil), s.provider.functions...)}
}

// Status implements agent.Service: whether a page is attached, not who
// (helper.status reaches pages of every origin).
func (s *Service) Status() any {
	return map[string]bool{"attached": s.view().Attached}
}

func (s *Service) session(_ context.Context, _ *agent.Call) (any, *jsonrpc.Error) {
	return s.view(), nil
}
