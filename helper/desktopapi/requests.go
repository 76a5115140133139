package desktopapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// pending is an app's request waiting for the page's answer. done gets
// exactly one answer: the page's, a timeout's or a detach's; whoever takes
// it out of Service.pending sends it.
type pending struct {
	id       string
	app      string // the app's session
	provider string // the page's session the request went to
	done     chan answer
	stop     func() bool
}

type answer struct {
	result json.RawMessage
	err    *jsonrpc.Error
}

// appInfo names the requesting app to the page.
type appInfo struct {
	Name      string `json:"name"`
	Version   string `json:"version,omitempty"`
	SessionID string `json:"sessionId"`
}

type requestEvent struct {
	RequestID string  `json:"requestId"`
	App       appInfo `json:"app"`
	Method    string  `json:"method"`
	Params    any     `json:"params"`
}

func noSession(reason, format string, args ...any) *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.CodeNoDesktopSession, "no Agent Desktop session: "+format, args...).
		WithData(map[string]string{"reason": reason})
}

// forward sends an app's request to the page and waits for its answer,
// the timeout, the page's detach or the app's own session end.
func (s *Service) forward(ctx context.Context, c *agent.Call, function string, params any) (any, *jsonrpc.Error) {
	s.mu.Lock()
	prov := s.provider
	switch {
	case prov == nil:
		s.mu.Unlock()
		return nil, noSession(jsonrpc.ReasonNotAttached, "no Agent Desktop page is attached; wait for desktop.attached")
	case !slices.Contains(prov.functions, function):
		s.mu.Unlock()
		return nil, noSession(jsonrpc.ReasonNotOffered, "the Agent Desktop does not offer %s", function)
	case len(s.pending) >= maxPending:
		s.mu.Unlock()
		return nil, noSession(jsonrpc.ReasonTimeout, "%d requests already wait for the Agent Desktop", maxPending)
	}
	s.nextID++
	p := &pending{id: fmt.Sprintf("d%d", s.nextID), app: c.SessionID, provider: prov.sessionID, done: make(chan answer, 1)}
	s.pending[p.id] = p
	// Under mu, so that the timer cannot fire before stop is set.
	p.stop = s.afterFunc(s.timeout, func() { s.expire(p.id) })
	s.mu.Unlock()

	sent := s.events.SendToSession(prov.sessionID, EventRequest, requestEvent{
		RequestID: p.id,
		App:       appInfo{Name: c.Client, Version: c.ClientVersion, SessionID: c.SessionID},
		Method:    function,
		Params:    params,
	})
	if !sent {
		// The page's session closed and its SessionClosed is still on the
		// way: the request has nobody to answer it, so fail it now rather
		// than at the timeout (unless the detach failed it first).
		s.mu.Lock()
		gone := s.take(p.id)
		s.mu.Unlock()
		if gone != nil {
			s.failAll([]*pending{gone}, jsonrpc.ReasonProviderLeft)
		}
	}
	select {
	case a := <-p.done:
		if a.err != nil {
			return nil, a.err
		}
		return a.result, nil
	case <-ctx.Done():
		s.mu.Lock()
		s.take(p.id)
		s.mu.Unlock()
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: the session closed")
	}
}

// take removes a pending request and stops its timer; s.mu must be held.
func (s *Service) take(id string) *pending {
	p := s.pending[id]
	if p == nil {
		return nil
	}
	delete(s.pending, id)
	p.stop()
	return p
}

// takePendingOf removes the requests sent to the provider sessionID; s.mu held.
func (s *Service) takePendingOf(sessionID string) []*pending {
	return s.takeWhere(func(p *pending) bool { return p.provider == sessionID })
}

// takePendingFrom removes the requests of the app sessionID; s.mu held.
func (s *Service) takePendingFrom(sessionID string) []*pending {
	return s.takeWhere(func(p *pending) bool { return p.app == sessionID })
}

func (s *Service) takeWhere(match func(*pending) bool) []*pending {
	var out []*pending
	for id, p := range s.pending {
		if match(p) {
			out = append(out, s.take(id))
		}
	}
	return out
}

// failAll answers each request with reason; the caller took them out.
func (s *Service) failAll(ps []*pending, reason string) {
	for _, p := range ps {
		p.done <- answer{err: noSession(reason, "the Agent Desktop page detached before it answered")}
	}
}

func (s *Service) expire(id string) {
	s.mu.Lock()
	p := s.take(id)
	s.mu.Unlock()
	if p == nil {
		return // answered meanwhile
	}
	s.log.Warn().Str("requestId", id).Str("app", p.app).Msg("desktop: the Agent Desktop did not answer in time")
	p.done <- answer{err: noSession(jsonrpc.ReasonTimeout, "the Agent Desktop did not answer within %s", s.timeout)}
}

// respond is the page's answer to a desktop.request.
func (s *Service) respond(_ context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	r, rerr := decodeRespond(c.Params)
	if rerr != nil {
		return nil, rerr
	}
	s.mu.Lock()
	p := s.pending[r.RequestID]
	if p == nil || p.provider != c.SessionID {
		s.mu.Unlock()
		// Another session's request is not told apart from none.
		return nil, invalid("requestId: no request %q waits for this session's answer (answered, timed out or never sent)", truncate(r.RequestID))
	}
	s.take(p.id)
	s.mu.Unlock()
	if r.Error != nil {
		e := &jsonrpc.Error{Code: r.Error.Code, Message: r.Error.Message}
		if len(r.Error.Data) > 0 {
			e.Data = r.Error.Data
		}
		p.done <- answer{err: e}
	} else {
		p.done <- answer{result: r.Result}
	}
	return map[string]bool{"delivered": true}, nil
}

func (s *Service) makeCall(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	p, rerr := decodeMakeCall(c.Params)
	if rerr != nil {
		return nil, rerr
	}
	return s.forward(ctx, c, "makeCall", p)
}

// recording forwards pauseRecording or resumeRecording to the page. With
// screen: true the agent's own screen recorder, when it records, is
// paused or resumed first, at once: the page still hears the request
// (its own recordings, its state), and when only the screen was asked
// and the page cannot answer, the agent's doing is the answer.
func (s *Service) recording(function string) agent.Method {
	return func(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
		p, rerr := decodeRecording(c.Params)
		if rerr != nil {
			return nil, rerr
		}
		screenDone, state := s.screenRecording(function, p)
		res, ferr := s.forward(ctx, c, function, p)
		if ferr != nil && screenDone && !p.Voice && ferr.Code == jsonrpc.CodeNoDesktopSession {
			return map[string]string{"screen": state}, nil
		}
		return res, ferr
	}
}

// screenRecording acts on the agent's recorder for a screen request and
// reports whether it did, and the recording's state then.
func (s *Service) screenRecording(function string, p *recordingParams) (bool, string) {
	if !p.Screen || s.screen == nil {
		return false, ""
	}
	act, state := s.screen.DesktopPause, "paused"
	if function == "resumeRecording" {
		act, state = s.screen.DesktopResume, "recording"
	}
	done, err := act()
	if err != nil {
		s.log.Warn().Err(err).Str("function", function).Msg("desktop: the screen recorder")
	}
	if done {
		s.log.Info().Str("function", function).Msg("desktop: the agent's screen recording " + state)
	}
	return done, state
}

func (s *Service) status(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	return s.forward(ctx, c, "status", struct{}{})
}

type eventParams struct {
	Event  string          `json:"event"`
	Params json.RawMessage `json:"params"`
}

// publish delivers the page's interaction event to the user's own
// clients (the desktop applications among them); other pages never hear it.
func (s *Service) publish(_ context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	p, rerr := decodePublish(c.Params)
	if rerr != nil {
		return nil, rerr
	}
	s.mu.Lock()
	attached := s.provider != nil && s.provider.sessionID == c.SessionID
	s.mu.Unlock()
	if !attached {
		return nil, noSession(jsonrpc.ReasonNotAttached, "this session is not the attached Agent Desktop; call desktop.attach first")
	}
	s.events.BroadcastTo(agent.ToOrigin(""), EventEvent, eventParams{Event: p.Event, Params: p.Params})
	return map[string]bool{"published": true}, nil
}
