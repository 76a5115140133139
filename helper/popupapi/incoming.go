package popupapi

import (
	"context"
	"time"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/helper/phoneapi"
)

// callActions are what an incoming call's pop-up does with its buttons.
type callActions struct {
	callID          string
	answer, decline func(ctx context.Context) error
}

// callTag is the tag of a call's pop-up in its events.
func callTag(callID string) string { return "call:" + callID }

// ShowIncoming implements phoneapi.IncomingPopups: a pop-up with the
// caller's name and number, Answer and Decline. Its events go to the
// phone owner's audience (the extension focuses the owner's tab on
// "default"); the buttons act on the call here, page or no page.
func (s *Service) ShowIncoming(in phoneapi.IncomingPopup) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s.ensureNotifier(ctx) == nil {
		return
	}
	o := owner{origin: in.Owner, page: in.Owner != ""}
	p, err := s.open(ctx, callNote(in.From, in.DisplayName), callTag(in.CallID), o,
		&callActions{callID: in.CallID, answer: in.Answer, decline: in.Decline})
	if err != nil {
		s.log.Warn().Err(err).Str("call", in.CallID).Msg("incoming call pop-up not shown")
		return
	}
	s.log.Info().Str("popup", p.id).Str("call", in.CallID).Msg("incoming call pop-up shown")
}

// CloseIncoming implements phoneapi.IncomingPopups: the call stopped
// ringing (answered anywhere, rejected, cancelled).
func (s *Service) CloseIncoming(callID string) {
	s.mu.Lock()
	var p *popup
	for _, q := range s.byID {
		if q.call != nil && q.call.callID == callID {
			p = q
		}
	}
	s.mu.Unlock()
	if p != nil {
		s.finish(p, string(notify.ClosedByCall))
	}
}

// runCallAction answers or declines the call of p's pop-up, off the
// notifier's goroutine (answering opens the sound devices).
func (s *Service) runCallAction(p *popup, action string) {
	var act func(context.Context) error
	switch action {
	case ActionAnswer:
		act = p.call.answer
	case ActionDecline:
		act = p.call.decline
	default:
		return // a click on the body: the page's tab comes to the front
	}
	if act == nil {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := act(ctx); err != nil {
			s.log.Warn().Err(err).Str("call", p.call.callID).Str("action", action).Msg("call action from the pop-up failed")
		}
	}()
}
