package agent

// A service whose events belong to one session, whatever its kind (a
// pop-up's answer goes to the page that showed it; the desktop API's
// request goes to the attached page and must not reach the user's other
// clients), sends them with SendToSession: the one way to reach a single
// session. It reports whether the session was there, so that the service
// can keep the event for a successor (HelloWatcher tells it of each
// session's hello) or fail what waited on it.

// SessionSender sends events to one session. *Server is one.
type SessionSender interface {
	// SendToSession sends an event to the session with id if it is open
	// and said hello, and reports whether it did.
	SendToSession(id string, event string, params any) bool
}

// HelloWatcher is a Service that wants to know when a session has said
// hello (its first hello, once the answer is queued, so that events the
// service then sends come after it).
type HelloWatcher interface {
	SessionHello(caller *Call)
}

// SendToSession implements SessionSender.
func (s *Server) SendToSession(id string, event string, params any) bool {
	frame, err := encodeEvent(event, params)
	if err != nil {
		s.log.Error().Err(err).Str("event", event).Msg("encode event")
		return false
	}
	s.mu.Lock()
	var target *session
	for ss := range s.sessions {
		if ss.id == id {
			target = ss
			break
		}
	}
	s.mu.Unlock()
	if target == nil || !target.helloDone() || target.isClosed() {
		return false
	}
	target.send(frame)
	return true
}

// helloWatchers are the services that implement HelloWatcher.
func (s *Server) helloWatchers() []HelloWatcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []HelloWatcher
	for _, svc := range s.services {
		if w, ok := svc.(HelloWatcher); ok {
			out = append(out, w)
		}
	}
	return out
}

// announceHello tells the watchers that ss said hello.
func (s *Server) announceHello(ss *session) {
	c, ok := ss.caller()
	if !ok {
		return
	}
	for _, w := range s.helloWatchers() {
		w.SessionHello(c)
	}
}

func (ss *session) isClosed() bool {
	select {
	case <-ss.done:
		return true
	default:
		return false
	}
}

// HasSession reports whether the session with id is still open.
func (s *Server) HasSession(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ss := range s.sessions {
		if ss.id == id {
			return !ss.isClosed()
		}
	}
	return false
}
