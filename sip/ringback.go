package sip

import (
	"sync"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/sip/media"
)

// ringback plays the local ringback tone to a call's speaker while the
// far end rings without sending early media (a 180 without SDP).
type ringback struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

// startRingback plays the ringback tone of the configured country on the
// call's speaker (its audio, opened as it dialed) until stopRingback.
func (c *Call) startRingback() {
	c.mu.Lock()
	if c.ringback != nil || c.endedLocked() {
		c.mu.Unlock()
		return
	}
	rb := &ringback{stop: make(chan struct{})}
	c.ringback = rb
	c.mu.Unlock()
	set, err := dsp.Tones(c.p.cfg.ToneCountry)
	if err != nil {
		set = dsp.NorthAmerica
	}
	c.prepareAudio(audioRate(c))
	ca := c.callAudio()
	if ca == nil {
		return // the call has ended
	}
	gen, err := dsp.NewToneGen(set.Ringback, ca.rate)
	if err != nil {
		return
	}
	rb.wg.Add(1)
	go func() {
		defer rb.wg.Done()
		// The devices may still be opening: the tone starts once they
		// are open (or never, when the call is answered first).
		sink := ca.opened(rb.stop).Sink
		if sink == nil {
			return
		}
		tick := time.NewTicker(media.FrameDuration)
		defer tick.Stop()
		frame := make([]int16, ca.rate*int(media.FrameDuration/time.Millisecond)/1000)
		for {
			select {
			case <-rb.stop:
				return
			case <-tick.C:
			}
			n := gen.Read(frame)
			if gen.Done() {
				gen.Reset()
			}
			clear(frame[n:])
			_, _ = sink.WritePCM(frame)
		}
	}()
}

// stopRingback ends the tone (the call's audio stays open for its
// media); safe to call when none plays.
func (c *Call) stopRingback() {
	c.mu.Lock()
	rb := c.ringback
	c.ringback = nil
	c.mu.Unlock()
	if rb != nil {
		close(rb.stop)
		rb.wg.Wait()
	}
}
