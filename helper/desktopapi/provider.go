package desktopapi

import (
	"context"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// Why a page stopped being the provider, in desktop.detached.
const (
	detachedByPage  = "detached"      // desktop.detach
	detachedClosed  = "session-ended" // its session closed (tab closed, browser quit)
	detachedReplace = "replaced"      // another page attached with replace
)

type attachResult struct {
	Attached  bool     `json:"attached"`
	Functions []string `json:"functions"`
}

func (s *Service) attach(_ context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	p, rerr := decodeAttach(c.Params)
	if rerr != nil {
		return nil, rerr
	}
	next := &provider{sessionID: c.SessionID, origin: c.PageOrigin, agent: p.Agent, functions: p.Functions}
	s.mu.Lock()
	prev := s.provider
	if prev != nil && prev.sessionID != c.SessionID && !p.Replace {
		s.mu.Unlock()
		return nil, jsonrpc.Errorf(jsonrpc.CodeNotAllowed, "not allowed: another Agent Desktop tab is attached; close it, or attach with replace: true to take over").
			WithData(map[string]string{"reason": jsonrpc.ReasonAlreadyAttached})
	}
	s.provider = next
	var orphans []*pending
	if prev != nil && prev.sessionID != c.SessionID {
		orphans = s.takePendingOf(prev.sessionID)
	}
	s.mu.Unlock()

	s.failAll(orphans, jsonrpc.ReasonProviderLeft)
	if prev != nil && prev.sessionID != c.SessionID {
		s.log.Info().Str("session", c.SessionID).Str("replaced", prev.sessionID).Msg("desktop: Agent Desktop replaced")
		// The replaced tab may have gone meanwhile: then nobody needs telling.
		s.events.SendToSession(prev.sessionID, EventDetached, map[string]string{"reason": detachedReplace})
	} else {
		s.log.Info().Str("session", c.SessionID).Str("pageOrigin", c.PageOrigin).Msg("desktop: Agent Desktop attached")
	}
	s.events.BroadcastTo(agent.ToOrigin(""), EventAttached, sessionView{Attached: true, Agent: &next.agent, Functions: next.functions})
	return &attachResult{Attached: true, Functions: next.functions}, nil
}

func (s *Service) detach(_ context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	was := s.release(c.SessionID, detachedByPage)
	return map[string]bool{"detached": was}, nil
}

// SessionClosed implements agent.SessionWatcher: the page's session end
// detaches it, and its unanswered requests fail at once.
func (s *Service) SessionClosed(c *agent.Call) {
	s.release(c.SessionID, detachedClosed)
	s.mu.Lock()
	mine := s.takePendingFrom(c.SessionID)
	s.mu.Unlock()
	s.failAll(mine, jsonrpc.ReasonProviderLeft) // an app left: nobody waits, but free the slots
}

// release detaches the provider if it is sessionID's and reports whether it was.
func (s *Service) release(sessionID, why string) bool {
	s.mu.Lock()
	if s.provider == nil || s.provider.sessionID != sessionID {
		s.mu.Unlock()
		return false
	}
	s.provider = nil
	orphans := s.takePendingOf(sessionID)
	s.mu.Unlock()
	s.failAll(orphans, jsonrpc.ReasonProviderLeft)
	s.log.Info().Str("session", sessionID).Str("why", why).Msg("desktop: Agent Desktop detached")
	s.events.BroadcastTo(agent.ToOrigin(""), EventDetached, map[string]string{"reason": why})
	return true
}
