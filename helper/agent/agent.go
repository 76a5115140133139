// Package agent is the per-user bpclient agent: it accepts sessions on the
// local endpoint (from bpclient-host relays and from the CLI), speaks
// JSON-RPC 2.0 in native-messaging frames, decides who may talk to it, and
// sends events to the sessions that said hello and are in each event's
// audience.
package agent

import (
	"context"
	"net"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/policy"
)

// baseCapabilities are the agent's own; services add theirs.
var baseCapabilities = []string{"events", "policy"}

// Options configure a Server. Zero values are usable except Policy.
type Options struct {
	Policy *policy.Store
	Logger zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Shutdown is called when a local client asks the agent to stop
	// (helper.shutdown); nil refuses such requests.
	Shutdown func()
	// Doctor answers helper.doctor; nil answers "method not found".
	Doctor *doctor.Doctor
	// Pages records the minHelperVersion each page's hello asks for,
	// for the doctor's update check; nil records nothing.
	Pages *doctor.PageLog
}

// Server is one agent. It owns every session goroutine it starts.
type Server struct {
	policy   *policy.Store
	log      zerolog.Logger
	now      func() time.Time
	started  time.Time
	shutdown func()
	doctor   *doctor.Doctor
	pages    *doctor.PageLog

	mu           sync.Mutex
	sessions     map[*session]struct{}
	nextID       int
	services     map[string]Service
	methods      map[string]Method
	capabilities []string
	wg           sync.WaitGroup
}

// New returns a Server ready to Serve.
func New(opts Options) *Server {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	caps := slices.Clone(baseCapabilities)
	if opts.Doctor != nil {
		caps = append(caps, "doctor")
	}
	return &Server{
		policy:   opts.Policy,
		log:      opts.Logger,
		now:      now,
		shutdown: opts.Shutdown,
		doctor:   opts.Doctor,
		pages:    opts.Pages,
		started:  now(),
		sessions: make(map[*session]struct{}),

		services:     make(map[string]Service),
		methods:      make(map[string]Method),
		capabilities: caps,
	}
}

// Serve accepts sessions on ln until ctx is done, then closes ln and every
// session and returns once all their goroutines have ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.log.Info().Str("addr", ln.Addr().String()).Str("os", runtime.GOOS).Msg("agent listening")
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var err error
	for {
		var c net.Conn
		c, err = ln.Accept()
		if err != nil {
			break
		}
		s.start(c)
	}
	s.closeAll()
	s.wg.Wait()
	if ctx.Err() != nil {
		s.log.Info().Msg("agent stopped")
		return nil
	}
	return err
}

func (s *Server) start(c net.Conn) {
	s.mu.Lock()
	s.nextID++
	ss := newSession(s, c, s.nextID)
	s.sessions[ss] = struct{}{}
	s.mu.Unlock()
	s.wg.Add(2)
	go func() { defer s.wg.Done(); ss.writeLoop() }()
	go func() {
		defer s.wg.Done()
		ss.readLoop()
		s.remove(ss)
	}()
}

func (s *Server) remove(ss *session) {
	s.mu.Lock()
	delete(s.sessions, ss)
	s.mu.Unlock()
	ss.flushAndClose()
	if ss.helloDone() {
		s.announceClosed(ss)
		s.broadcastClients()
	}
}

func (s *Server) closeAll() {
	s.mu.Lock()
	all := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		all = append(all, ss)
	}
	s.mu.Unlock()
	for _, ss := range all {
		ss.close()
	}
}

// Broadcast sends an event to every session that said hello.
func (s *Server) Broadcast(event string, params any) { s.BroadcastTo(Everyone(), event, params) }

// BroadcastTo sends an event to the sessions of aud that said hello.
func (s *Server) BroadcastTo(aud Audience, event string, params any) {
	frame, err := encodeEvent(event, params)
	if err != nil {
		s.log.Error().Err(err).Str("event", event).Msg("encode event")
		return
	}
	s.mu.Lock()
	targets := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		if c, ok := ss.caller(); ok && aud.Admits(c) {
			targets = append(targets, ss)
		}
	}
	s.mu.Unlock()
	for _, ss := range targets {
		ss.send(frame)
	}
}

func (s *Server) broadcastClients() {
	s.Broadcast("helper.clientsChanged", map[string]int{"clients": s.helloCount()})
}

func (s *Server) helloCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for ss := range s.sessions {
		if ss.helloDone() {
			n++
		}
	}
	return n
}

// clientList describes the sessions that said hello, oldest first, as
// viewer may see them: a page sees the details of its own origin's
// sessions only, and of every other session just that it exists and its
// kind, so that it cannot learn which other sites use the agent.
func (s *Server) clientList(viewer *Call) []clientInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]clientInfo, 0, len(s.sessions))
	for ss := range s.sessions {
		info, ok := ss.info()
		if !ok {
			continue
		}
		if viewer.Kind == kindPage && (info.Kind != kindPage || info.PageOrigin != viewer.PageOrigin) {
			info = clientInfo{SessionID: info.SessionID, Kind: info.Kind, order: info.order}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b clientInfo) int { return a.order - b.order })
	return out
}
