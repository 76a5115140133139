package sip

import "sync/atomic"

// micGate is a call's microphone as its media reads it: silence until
// the call connects, so that nothing the agent says while the call is
// dialing, ringing or playing early media reaches the far end, then the
// microphone. Closed, it still reads the microphone (and drops what it
// reads), so the device's queue does not fill with old audio.
type micGate struct {
	src  PCMSource // set before the gate is handed to the media
	open atomic.Bool
	// fresh: the gate has just opened, and what the microphone queued
	// before (captured before the call connected) is dropped first.
	fresh atomic.Bool
}

// PCMDiscarder is a PCMSource that can drop the audio it has queued and
// not yet handed out. A call drops its microphone's queue as it connects:
// that audio was captured before, and would otherwise be sent late and
// delay everything after it.
type PCMDiscarder interface {
	DiscardPCM()
}

// connect opens the gate (once the call is connected).
func (g *micGate) connect() {
	if g.open.CompareAndSwap(false, true) {
		g.fresh.Store(true)
	}
}

// ReadPCM implements PCMSource.
func (g *micGate) ReadPCM(buf []int16) (int, error) {
	if g.src == nil {
		clear(buf)
		return len(buf), nil
	}
	if !g.open.Load() {
		n, err := g.src.ReadPCM(buf)
		clear(buf[:max(n, 0)])
		return n, err
	}
	if g.fresh.CompareAndSwap(true, false) {
		if d, ok := g.src.(PCMDiscarder); ok {
			d.DiscardPCM()
		}
	}
	return g.src.ReadPCM(buf)
}
