package media

import "sync/atomic"

// micLevel is how loud the microphone was over a call: the loudest
// sample of the frames the call sent from it, and how many frames those
// were. Only the number is kept, never the audio. The clock goroutine
// writes it; reports read it from others, hence the atomics.
//
// Frames the agent muted, or that carried a DTMF digit, are left out:
// a microphone muted in the app is the agent's choice, not a fault; one
// that is silent while the app sends it is muted at the computer (or the
// wrong device).
type micLevel struct {
	peak   atomic.Int32 // the largest |sample|, 0..32768
	frames atomic.Int64
}

// observe counts one frame sent from the microphone.
func (l *micLevel) observe(pcm []int16) {
	var peak int32
	for _, v := range pcm {
		a := int32(v)
		if a < 0 {
			a = -a
		}
		peak = max(peak, a)
	}
	if peak > l.peak.Load() {
		l.peak.Store(peak) // one writer: no lost update
	}
	l.frames.Add(1)
}

// peakOfFullScale is the loudest sample so far as a share of full scale
// (0..1), or nil when no frame was sent from the microphone yet.
func (l *micLevel) peakOfFullScale() *float64 {
	if l.frames.Load() == 0 {
		return nil
	}
	p := float64(l.peak.Load()) / 32768
	return &p
}
