package sip

import (
	"context"
	"fmt"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
)

// Call waiting: while a call rings in and another call is up, the ringer
// devices stay quiet (helper/phoneapi) and the call-waiting tone of the
// configured country (us: 440 Hz, 300 ms every 10 s) is mixed into the
// speaker of every call that is up. Answering the waiting call holds the
// calls that are up first.

// waitingTone is the call-waiting tone of one call's speaker. Only the
// media's playout goroutine reads it; it is replaced, never reset, from
// other goroutines.
type waitingTone struct {
	gen *dsp.ToneGen
	buf []int16
}

// mix adds the tone to pcm, saturating.
func (w *waitingTone) mix(pcm []int16) {
	if cap(w.buf) < len(pcm) {
		w.buf = make([]int16, len(pcm))
	}
	t := w.buf[:len(pcm)]
	w.gen.Read(t)
	for i, v := range t {
		pcm[i] = int16(max(-32768, min(32767, int32(pcm[i])+int32(v))))
	}
}

// setWaiting starts or stops the tone in the call's speaker.
func (m *media) setWaiting(on bool, tone dsp.Tone) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !on {
		m.waiting = nil
		return
	}
	if m.waiting != nil || m.frame == 0 {
		return
	}
	gen, err := dsp.NewToneGen(tone, m.frame*int(time.Second/frameDur))
	if err != nil {
		m.log.Debug().Err(err).Msg("no call-waiting tone")
		return
	}
	m.waiting = &waitingTone{gen: gen}
}

// updateWaiting starts the call-waiting tone on the calls that are up
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
			m.setWaiting(ringing && up, tone)
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
