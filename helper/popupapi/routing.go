package popupapi

import "github.com/openbpclient/bpclient/helper/agent"

// originKey is whom a pop-up belongs to once its session has gone: the
// pages of an origin, or the user's own clients.
type originKey struct {
	origin string
	page   bool
}

func (o owner) key() originKey { return originKey{origin: o.origin, page: o.page} }

// tell sends a pop-up's event: a call's pop-up to the phone owner's
// audience; a page's to the session that showed it, or, when it has
// gone, kept for the next session of its origin that says hello.
func (s *Service) tell(p *popup, name string, params any) {
	if p.call != nil {
		s.opts.Server.BroadcastTo(agent.ToOrigin(p.owner.origin), name, params)
		return
	}
	s.mu.Lock()
	session := p.owner.session
	s.mu.Unlock()
	if s.opts.Server.SendToSession(session, name, params) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := p.owner.key()
	if q := s.pending[k]; len(q) < maxPending {
		s.pending[k] = append(q, pendingEvent{name: name, params: params})
	} else {
		s.log.Warn().Str("event", name).Str("popup", p.id).Msg("no session of its origin for a pop-up's event; dropped")
	}
	s.log.Info().Str("event", name).Str("popup", p.id).Msg("the pop-up's page has gone; its event waits for the next session of its origin")
}

// SessionHello implements agent.HelloWatcher: a new session of an origin
// takes over the open pop-ups of its sessions that have gone, and gets
// the events they were owed, in order.
func (s *Service) SessionHello(c *agent.Call) {
	me := ownerOf(c)
	s.mu.Lock()
	owed := s.pending[me.key()]
	delete(s.pending, me.key())
	for _, p := range s.byID {
		if p.call == nil && p.owner.key() == me.key() && p.owner.session != me.session && !s.opts.Server.HasSession(p.owner.session) {
			p.owner.session = me.session
		}
	}
	s.mu.Unlock()
	for _, ev := range owed {
		if !s.opts.Server.SendToSession(me.session, ev.name, ev.params) {
			return // gone again at once: the rest is lost with it
		}
	}
}
