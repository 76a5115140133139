package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/openbpclient/bpclient/sip/media"
)

// DTMF: RFC 4733 events on the media when telephone-event was agreed,
// SIP INFO otherwise; INFO from the remote is acknowledged.

// DTMF sends digits: RFC 4733 events when telephone-event was agreed,
// SIP INFO (application/dtmf-relay) otherwise.
func (c *Call) DTMF(ctx context.Context, digits string) error {
	if digits == "" || len(digits) > 64 {
		return fmt.Errorf("dtmf: %d digits (want 1..64)", len(digits))
	}
	for _, d := range digits {
		if _, ok := media.DTMFCode(d); !ok {
			return fmt.Errorf("dtmf: %q is not a digit", d)
		}
	}
	c.mu.Lock()
	m := c.media
	st := c.state
	c.mu.Unlock()
	if m == nil || (st != StateConnected && st != StateRemoteHeld && st != StateEarly) {
		return fmt.Errorf("%w: the call is %s", ErrWrongState, st)
	}
	err := m.SendDTMF(digits)
	if !errors.Is(err, media.ErrNoTelephoneEvent) {
		return err
	}
	for _, d := range strings.ToUpper(digits) {
		body := fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", d)
		res, err := c.inDialog(ctx, sipmsg.INFO, []byte(body), "application/dtmf-relay")
		if err != nil {
			return fmt.Errorf("dtmf INFO: %w", err)
		}
		if !res.IsSuccess() {
			return fmt.Errorf("dtmf INFO answered %d", res.StatusCode)
		}
	}
	return nil
}

func (p *Phone) onInfo(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	if p.callFor(req, tx) == nil {
		return
	}
	_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 200, "OK", nil))
}

// ReceivedDTMF returns the RFC 4733 digits received (for tests and logs).
func (c *Call) ReceivedDTMF() string {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if m == nil {
		return ""
	}
	return m.ReceivedDigits()
}
