package sip

import (
	"sync"
	"time"
)

// callAudio is a call's microphone and speaker, opened once per call:
// while dialing (outbound) or ringing in (inbound), so that the devices
// run by the time the call connects. A sound server can take most of a
// second to deliver a new stream's first audio (and the first stream
// starts the sound library), which opening at connect used to cut off
// the front of the call. The local ringback plays through the same
// speaker and the media takes both over: no device opens twice. The
// microphone's audio is discarded until the call connects (micGate).
//
// The Call owns it: end closes it, whether the open has finished or not.
type callAudio struct {
	rate  int           // the rate the devices were opened at
	ready chan struct{} // closed once the open has finished
	gate  *micGate

	mu     sync.Mutex
	a      Audio // as opened; zero once closed or when the open failed
	closed bool
}

// prepareAudio starts opening the call's audio at rate in the background:
// Dial and the 180 do not wait for the devices. It does nothing when the
// call has its audio already.
func (c *Call) prepareAudio(rate int) {
	c.mu.Lock()
	if c.audio != nil || c.endedLocked() {
		c.mu.Unlock()
		return
	}
	ca := &callAudio{rate: rate, ready: make(chan struct{}), gate: &micGate{}}
	c.audio = ca
	c.mu.Unlock()
	p := c.p
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t0 := time.Now()
		a := p.openAudio(c.id, rate)
		c.log.Debug().Int("rate", rate).Dur("took", time.Since(t0)).Bool("speaker", a.Sink != nil).
			Bool("microphone", a.Source != nil).Msg("call audio opened")
		ca.mu.Lock()
		closed := ca.closed
		if !closed {
			ca.a = a
			ca.gate.src = a.Source
		}
		ca.mu.Unlock()
		close(ca.ready)
		if closed && a.Close != nil {
			// The call ended while its devices opened.
			a.Close()
		}
	}()
}

// callAudio returns the call's audio, nil when none was prepared.
func (c *Call) callAudio() *callAudio {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.audio
}

// opened waits for the open (or for done) and returns the audio as
// opened; zero when it failed, the call ended or done came first.
func (ca *callAudio) opened(done <-chan struct{}) Audio {
	select {
	case <-ca.ready:
	case <-done:
		return Audio{}
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return ca.a
}

// forMedia is the audio a call's media uses at the codec's rate: the
// microphone behind its gate, both directions converted in-process when
// the codec's rate is not the rate opened (the devices stay open). It has
// no Close: the call closes its audio when it ends.
func (ca *callAudio) forMedia(done <-chan struct{}, codecRate int) Audio {
	a := ca.opened(done)
	if a.Source == nil && a.Sink == nil {
		return Audio{}
	}
	out := Audio{Sink: a.Sink}
	if a.Source != nil {
		out.Source = ca.gate
	}
	if codecRate == ca.rate {
		if fs, ok := a.Source.(FrameSource); ok {
			out.Source = framedGate{ca.gate, fs}
		}
		return out
	}
	// Converted, the microphone is read on the media's clock.
	if a.Source != nil {
		if rs, err := newResampledSource(ca.gate, ca.rate, codecRate); err == nil {
			out.Source = rs
		}
	}
	if a.Sink != nil {
		if rs, err := newResampledSink(a.Sink, codecRate, ca.rate); err == nil {
			out.Sink = rs
		}
	}
	return out
}

// close releases the devices; an open still under way releases them when
// it finishes. Safe to call more than once.
func (ca *callAudio) close() {
	ca.mu.Lock()
	if ca.closed {
		ca.mu.Unlock()
		return
	}
	ca.closed = true
	a := ca.a
	ca.a = Audio{}
	ca.mu.Unlock()
	if a.Close != nil {
		a.Close()
	}
}

// audioRate is the PCM rate a call opens its devices at: that of the
// first codec it offers or accepted (what the call most likely uses),
// 8 kHz when there is none.
func audioRate(c *Call) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, pl := range c.offered {
		if pl.Codec != nil {
			return pl.Codec.Info().SampleRate
		}
	}
	return 8000
}
