package sip

import (
	"context"
	"fmt"

	"github.com/openbpclient/bpclient/audio/dsp"
)

// Call waiting: while a call rings in and another call is up, the ringer
// devices stay quiet (helper/phoneapi) and the call-waiting tone of the
// configured country (us: 440 Hz, 300 ms every 10 s) is mixed into the
// speaker of every call that is up. Answering the waiting call holds the
// calls that are up first.

// while an inbound call rings, and stops it otherwise. Every call state
// change runs it.
func (p *Phone) updateWaiting() {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	p.mu.Lock()
	calls := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	p.mu.Unlock()
	ringing := false
	for _, c := range calls {
		c.mu.Lock()
		if c.dir == inbound && c.state == StateRinging && !c.endedLocked() {
			ringing = true
		}
		c.mu.Unlock()
	}
	tone := p.waitingTone()
	for _, c := range calls {
		c.mu.Lock()
		up := inCall(c.state) && !c.endedLocked()
		m := c.media
		c.mu.Unlock()
		if m != nil {
			m.SetWaiting(ringing && up, tone)
		}
	}
}

func (p *Phone) waitingTone() dsp.Tone {
	set, err := dsp.Tones(p.cfg.ToneCountry)
	if err != nil {
		set = dsp.NorthAmerica
	}
	return set.CallWaiting
}

// holdOthers puts every other call that is up and not held by us on
// hold, so that answering a waiting call does not mix two conversations.
func (c *Call) holdOthers(ctx context.Context) error {
	c.p.mu.Lock()
	others := make([]*Call, 0, len(c.p.calls))
	for _, o := range c.p.calls {
		if o != c {
			others = append(others, o)
		}
	}
	c.p.mu.Unlock()
	for _, o := range others {
		st := o.State().State
		if st != StateConnected && st != StateRemoteHeld {
			continue
		}
		if err := o.Hold(ctx); err != nil {
			return fmt.Errorf("hold call %s before answering: %w", o.id, err)
		}
	}
	return nil
}
