package phoneapi

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/openbpclient/bpclient/sip"
)

// IncomingPopups shows the desktop pop-up of calls that ring in, when the
// page asked for it (phone.configure incomingPopup); the agent's popup
// service is one.
type IncomingPopups interface {
	ShowIncoming(p IncomingPopup)
	CloseIncoming(callID string)
}

// IncomingPopup is one ringing call's pop-up: who calls, whose phone it
// is ("" the user's own clients, else the page origin), and what its
// buttons do to the call.
type IncomingPopup struct {
	CallID, From, DisplayName string
	Owner                     string
	Answer, Decline           func(ctx context.Context) error
}

// wantsIncomingPopup reads phone.configure's incomingPopup member.
func wantsIncomingPopup(params json.RawMessage) bool {
	var p struct {
		IncomingPopup bool `json:"incomingPopup"`
	}
	_ = json.Unmarshal(params, &p)
	return p.IncomingPopup
}

// popUp shows and closes the pop-ups of phone's inbound calls as its
// events pass: shown at call.incoming, closed when the call leaves
// ringing (answered here or from the pop-up, rejected, cancelled).
func (s *Service) popUp(owner string, name string, params any) {
	if s.opts.Popups == nil {
		return
	}
	switch v := params.(type) {
	case sip.IncomingCall:
		if name != sip.EventCallIncoming {
			return
		}
		id := v.CallID
		act := func(f func(ctx context.Context, c *sip.Call) error) func(context.Context) error {
			return func(ctx context.Context) error {
				phone, jerr := s.current()
				if jerr != nil {
					return errors.New(jerr.Message)
				}
				c, err := phone.Call(id)
				if err != nil {
					return err
				}
				return f(ctx, c)
			}
		}
		s.opts.Popups.ShowIncoming(IncomingPopup{CallID: id, From: v.From, DisplayName: v.DisplayName, Owner: owner,
			Answer:  act(func(ctx context.Context, c *sip.Call) error { return c.Answer(ctx) }),
			Decline: act(func(ctx context.Context, c *sip.Call) error { return c.Reject(ctx, 603) })})
	case sip.CallState:
		if v.State != sip.StateRinging {
			s.opts.Popups.CloseIncoming(v.CallID)
		}
	}
}
