// Package screenapi is the agent's screen.* service: a page starts,
// pauses, resumes and stops a screen recording (screen/record) whose
// segments go through the upload spool (screen/spool) to the page's
// uploadUrl, and hears screen.record.state and screen.record.uploaded.
// The desktop API's pauseRecording/resumeRecording reach the same
// recorder (DesktopPause, DesktopResume). One recording at a time.
package screenapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/jonboulle/clockwork"
	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/screen/record"
	"github.com/openbpclient/bpclient/screen/spool"
)

// Event names (docs/API.md, append-only).
const (
	EventState    = "screen.record.state"
	EventUploaded = "screen.record.uploaded"
	EventDropped  = "screen.record.dropped"
)

// ReasonAgentStopped: the agent shut down while recording.
const ReasonAgentStopped = "agent-stopped"

// PolicySource is the agent's policy (a *policy.Store is one).
type PolicySource interface {
	Load() (*policy.Policy, []error, error)
}

// Options configure the service.
type Options struct {
	Logger zerolog.Logger
	Events agent.SessionSender
	Policy PolicySource
	// SpoolDir is the upload spool's folder (per user); required.
	SpoolDir      string
	SpoolMaxBytes int64
	// HTTPClient uploads; nil: the default transport (the system roots).
	HTTPClient *http.Client
	// Capture opens a grabber of the screens ("all" or "primary"); Parts
	// encode and cut segments. Without either (Capture nil or
	// Parts.NewEncoder nil) recording is unavailable: Unavailable says why.
	Capture     func(screens string) (record.Grabber, error)
	Parts       record.Parts
	Unavailable error
	// Feeds are the agent's captures, shared with live monitoring (one
	// capture for both), in place of Capture; nil: the service makes
	// its own over Capture.
	Feeds *record.Feeds
	// Indicator shows that recording runs when the admin policy asks
	// (screenRecordingIndicator); nil: there is none.
	Indicator Indicator
	// Clock paces the capture and the upload back-off; nil: the wall clock.
	Clock clockwork.Clock
	// Spool adjusts the spool's options (tests: back-off).
	Spool func(*spool.Options)
	// Getenv reads the session's kind and display (WAYLAND_DISPLAY,
	// XDG_SESSION_TYPE, DISPLAY); nil: the process's environment.
	Getenv func(string) string
}

// Service implements agent.Service.
type Service struct {
	o     Options
	log   zerolog.Logger
	feeds *record.Feeds
	spool *spool.Spool
	ind   *indicator

	probe probeCache

	mu     sync.Mutex
	active *active // the recording that runs or is paused; nil: none
	wg     sync.WaitGroup
}

// active is the running recording and who started it.
type active struct {
	params  *startParams
	rec     *record.Recorder
	feed    *record.Feed
	session string // where its events go: the starter, or the last of its origin to ask
	origin  string // the page's origin; "" for a local client
	page    bool
}

// New opens the spool (which resumes what an earlier agent left) and
// returns the service; Close stops it.
func New(o Options) (*Service, error) {
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	s := &Service{o: o, log: o.Logger.With().Str("svc", "screen").Logger(), feeds: o.Feeds}
	if s.feeds == nil && o.Capture != nil {
		s.feeds = record.NewFeeds(o.Capture, o.Clock)
	}
	s.ind = newIndicator(o.Indicator, s.log)
	so := spool.Options{Dir: o.SpoolDir, MaxBytes: o.SpoolMaxBytes, Client: o.HTTPClient, Allow: s.allowHost,
		Events: s.spoolEvent, Logger: o.Logger, Clock: o.Clock}
	if o.Spool != nil {
		o.Spool(&so)
	}
	sp, err := spool.New(so)
	if err != nil {
		return nil, fmt.Errorf("screen: %w", err)
	}
	s.spool = sp
	return s, nil
}

// Close stops a recording under way (its segments stay spooled for the
// next agent), then the uploader.
func (s *Service) Close() {
	s.stopActive(ReasonAgentStopped)
	// The uploader first: then no spool event starts more work while
	// the work under way is waited for.
	s.spool.Close()
	s.wg.Wait()
	s.ind.close()
}

// Name implements agent.Service.
func (s *Service) Name() string { return "screen" }

// Capabilities implements agent.Service.
func (s *Service) Capabilities() []string {
	if s.unavailable() != nil {
		return nil
	}
	return []string{"screen-recording"}
}

// Methods implements agent.Service.
func (s *Service) Methods() map[string]agent.Method {
	return map[string]agent.Method{
		"screen.record.start":  s.start,
		"screen.record.pause":  s.control(func(r *record.Recorder) error { return r.Pause() }),
		"screen.record.resume": s.control(func(r *record.Recorder) error { return r.Resume() }),
		"screen.record.stop":   s.control(func(r *record.Recorder) error { return r.Stop("") }),
		"screen.status":        s.status,
	}
}

// allowHost is the spool's allow-list check: the page domains of the
// policy, read fresh each time.
func (s *Service) allowHost(host string) bool {
	if s.o.Policy == nil {
		return false
	}
	p, _, err := s.o.Policy.Load()
	if err != nil {
		s.log.Warn().Err(err).Msg("screen: policy unreadable; upload host refused")
		return false
	}
	for _, d := range p.Domains() {
		if policy.Match(d, host) {
			return true
		}
	}
	return false
}

func (s *Service) indicatorWanted() bool {
	if s.o.Policy == nil {
		return false
	}
	p, _, err := s.o.Policy.Load()
	return err == nil && p.ScreenRecordingIndicator
}

type startResult struct {
	RecordingID string `json:"recordingId"`
	State       string `json:"state"`
}

func (s *Service) start(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	p, jerr := parseStart(c.Params)
	if jerr != nil {
		return nil, jerr
	}
	if _, err := spool.CheckURL(p.UploadURL, s.allowHost); err != nil {
		return nil, screenErr(jsonrpc.ReasonBadURL, "uploadUrl: %s", strings.TrimPrefix(err.Error(), spool.ErrNotAllowed.Error()+": "))
	}
	if err := s.unavailable(); err != nil {
		return nil, screenErr(jsonrpc.ReasonUnavailable, "screen recording is unavailable: %v", err)
	}
	s.mu.Lock()
	if s.active != nil {
		s.mu.Unlock()
		return nil, screenErr(jsonrpc.ReasonAlreadyRecording, "a screen recording already runs")
	}
	a, jerr := s.begin(p, c)
	if jerr != nil {
		s.mu.Unlock()
		return nil, jerr
	}
	s.active = a
	s.mu.Unlock()
	// Unlocked: the recorder's state event takes s.mu.
	if err := a.rec.Start(); err != nil {
		s.mu.Lock()
		s.active = nil
		s.mu.Unlock()
		_ = s.spool.End(p.RecordingID)
		return nil, screenErr(jsonrpc.ReasonUnavailable, "screen recording could not start: %v", err)
	}
	return startResult{RecordingID: p.RecordingID, State: string(record.Recording)}, nil
}

// begin makes the spool's recording and the recorder on the shared
// capture of p.Screens (which Start opens if nobody uses it yet); s.mu held.
func (s *Service) begin(p *startParams, c *agent.Call) (*active, *jsonrpc.Error) {
	if err := s.spool.Begin(spool.Manifest{RecordingID: p.RecordingID, UploadURL: p.UploadURL, Method: p.UploadMethod, Headers: p.Headers}); err != nil {
		if errors.Is(err, spool.ErrNotAllowed) {
			return nil, screenErr(jsonrpc.ReasonBadURL, "uploadUrl: %v", err)
		}
		// The id is still spooled from an earlier recording.
		return nil, screenErr(jsonrpc.ReasonAlreadyRecording, "recording %q: %v", p.RecordingID, err)
	}
	a := &active{params: p, session: c.SessionID, page: c.Kind == "page"}
	if a.page {
		a.origin = c.PageOrigin
	}
	a.feed = s.feeds.For(p.Screens)
	rec, err := record.New(record.Options{Config: record.Config{RecordingID: p.RecordingID, FPS: p.FPS, MaxWidth: p.MaxWidth,
		SegmentSeconds: p.SegmentSeconds}, Feed: a.feed, Parts: s.o.Parts, Sink: s.spool, Logger: s.o.Logger,
		OnState: func(st record.State, reason string) { s.stateChanged(a, st, reason) }})
	if err != nil {
		_ = s.spool.End(p.RecordingID)
		return nil, badParams("%v", err)
	}
	a.rec = rec
	s.log.Info().Str("recording", p.RecordingID).Str("session", c.SessionID).Int("fps", p.FPS).Int("maxWidth", p.MaxWidth).
		Str("screens", p.Screens).Int("segmentSeconds", p.SegmentSeconds).Int("headers", len(p.Headers)).Msg("screen recording starts")
	return a, nil
}

type stateEvent struct {
	State       string `json:"state"`
	RecordingID string `json:"recordingId"`
	Reason      string `json:"reason"`
}

// stateChanged tells the recording's page, shows or hides the indicator,
// and lets a stopped recording go.
func (s *Service) stateChanged(a *active, st record.State, reason string) {
	switch st {
	case record.Recording:
		if s.indicatorWanted() {
			s.ind.show()
		}
	default:
		s.ind.hide()
	}
	if st == record.Stopped {
		s.mu.Lock()
		if s.active == a {
			s.active = nil
		}
		s.mu.Unlock()
		// The recorder has left the shared capture, which closes when
		// live monitoring does not use it either; a failure's stop is
		// waited for by Close.
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			a.rec.Wait()
			// A 1080p recording leaves some 20 MB of Go buffers (the
			// grabbed frame, the encoder's copy of the last one and its
			// planes) that nothing allocates after it to collect: an idle
			// agent would hold them until the two-minute forced GC and the
			// scavenger after it. Return them now, once per recording.
			debug.FreeOSMemory()
		}()
	}
	s.send(a, EventState, stateEvent{State: string(st), RecordingID: a.params.RecordingID, Reason: reason})
}

func (s *Service) send(a *active, event string, params any) {
	s.mu.Lock()
	session := a.session
	s.mu.Unlock()
	if session == "" || s.o.Events == nil {
		return
	}
	s.o.Events.SendToSession(session, event, params)
}

// owned returns the active recording if c may control it: a page of its
// origin (which then hears its events: a reload keeps control), or a
// local client for one a local client started.
func (s *Service) owned(c *agent.Call) *active {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.active
	if a == nil || a.page != (c.Kind == "page") || (a.page && a.origin != c.PageOrigin) {
		return nil
	}
	a.session = c.SessionID
	return a
}

func (s *Service) control(do func(*record.Recorder) error) agent.Method {
	return func(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
		a := s.owned(c)
		if a == nil {
			return nil, screenErr(jsonrpc.ReasonNotRecording, "no screen recording of this caller runs")
		}
		if err := do(a.rec); err != nil {
			st, _ := a.rec.State()
			return nil, screenErr(jsonrpc.ReasonNotRecording, "the recording is %s: %v", st, err)
		}
		st, _ := a.rec.State()
		return startResult{RecordingID: a.params.RecordingID, State: string(st)}, nil
	}
}

// stopActive stops the recording for reason, if one runs.
func (s *Service) stopActive(reason string) {
	s.mu.Lock()
	a := s.active
	s.mu.Unlock()
	if a != nil {
		_ = a.rec.Stop(reason)
	}
}

type uploadedEvent struct {
	RecordingID string `json:"recordingId"`
	Segment     int    `json:"segment"`
	Bytes       int64  `json:"bytes"`
}

type droppedEvent struct {
	RecordingID string `json:"recordingId"`
	Segment     int    `json:"segment"`
	Reason      string `json:"reason"`
}

// spoolEvent passes the spool's news to the recording's page; a refused
// token ends the recording.
func (s *Service) spoolEvent(e spool.Event) {
	s.mu.Lock()
	a := s.active
	s.mu.Unlock()
	mine := a != nil && a.params.RecordingID == e.RecordingID
	switch e.Kind {
	case spool.EventUploaded:
		if mine {
			s.send(a, EventUploaded, uploadedEvent{RecordingID: e.RecordingID, Segment: e.Segment, Bytes: e.Bytes})
		}
	case spool.EventDropped:
		s.log.Warn().Str("recording", e.RecordingID).Int("segment", e.Segment).Str("reason", e.Reason).Msg("screen: segment dropped")
		if mine {
			s.send(a, EventDropped, droppedEvent{RecordingID: e.RecordingID, Segment: e.Segment, Reason: e.Reason})
		}
	case spool.EventFailed:
		if mine {
			// Not from the spool's goroutine: stopping hands the spool
			// the last segment.
			s.wg.Add(1)
			go func() { defer s.wg.Done(); _ = a.rec.Stop(e.Reason) }()
		}
	}
}

// DesktopPause is the desktop API's pauseRecording {screen: true}: the
// recording running pauses at once, whichever page started it, without
// waiting on a page's answer (PCI: a pause must not depend on the page).
// It reports whether a recording was paused.
func (s *Service) DesktopPause() (bool, error) {
	return s.desktopControl(record.Recording, (*record.Recorder).Pause)
}

// DesktopResume is resumeRecording {screen: true}: a paused recording
// resumes. It reports whether one did.
func (s *Service) DesktopResume() (bool, error) {
	return s.desktopControl(record.Paused, (*record.Recorder).Resume)
}

func (s *Service) desktopControl(from record.State, do func(*record.Recorder) error) (bool, error) {
	s.mu.Lock()
	a := s.active
	s.mu.Unlock()
	if a == nil {
		return false, nil
	}
	if st, _ := a.rec.State(); st != from {
		return false, nil
	}
	if err := do(a.rec); err != nil {
		return false, err
	}
	return true, nil
}

// Busy reports whether the service has work under way: a recording runs
// or is paused, or the spool holds segments to upload. A process that
// holds only this service (the screen worker) may end when it is not.
func (s *Service) Busy() bool {
	s.mu.Lock()
	running := s.active != nil
	s.mu.Unlock()
	st := s.spool.Stats()
	return running || st.Segments > 0 || st.Recordings > 0
}
