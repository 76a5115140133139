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

const ringbackRate = 8000

// startRingback opens the call's audio at 8 kHz and plays the ringback
// tone of the configured country until stopRingback.
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
	gen, err := dsp.NewToneGen(set.Ringback, ringbackRate)
	if err != nil {
		return
	}
	a := c.p.openAudio(c.id, ringbackRate)
	if a.Sink == nil {
		if a.Close != nil {
			a.Close()
		}
		return
	}
	rb.wg.Add(1)
	go func() {
		defer rb.wg.Done()
		if a.Close != nil {
			defer a.Close()
		}
		tick := time.NewTicker(media.FrameDuration)
		defer tick.Stop()
		frame := make([]int16, ringbackRate*int(media.FrameDuration/time.Millisecond)/1000)
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
			_, _ = a.Sink.WritePCM(frame)
		}
	}()
}

// stopRingback ends the tone and releases its audio; safe to call when
// none plays.
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
