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
	// fresh: the gate has just opened, and the microphone's backlog (what
	// it queued while nobody read it) is dropped first.
	fresh atomic.Bool
}

// PCMDiscarder is a PCMSource that can drop its backlog: what it queued
// and has not handed out, but for the newest audio (about 40 ms), which
// the next reads hand out at once. A call drops its microphone's backlog
// as it connects: that audio is from before, and sent late it would
// delay everything after it. Dropping all of it would not help either:
// a sound server that delivers in bursts (60 ms on the servers measured)
// would leave the first packets silent until its next burst.
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
