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

// framedGate is the gate of a microphone that is a FrameSource: the
// call's media then sends each frame as the device hands it over. As the
// gate opens, all but the newest waiting frame go: the media sends as
// soon as it takes, and older frames would go out at once, as a burst
// that the far end's buffer keeps for the rest of the call.
type framedGate struct {
	*micGate
	fs FrameSource
}

// NotifyPCM implements FrameSource.
func (g framedGate) NotifyPCM(ready func()) { g.fs.NotifyPCM(ready) }

// NextPCM implements FrameSource: silence until the call connects.
func (g framedGate) NextPCM(buf []int16) (n, left int, ok bool) {
	if !g.open.Load() {
		n, left, ok = g.fs.NextPCM(buf)
		clear(buf[:n])
		return n, left, ok
	}
	n, left, ok = g.fs.NextPCM(buf)
	if g.fresh.CompareAndSwap(true, false) {
		for ok && left > 0 {
			n, left, ok = g.fs.NextPCM(buf)
		}
	}
	return n, left, ok
}
