package media

import (
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
)

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

// SetWaiting starts or stops the tone in the call's speaker.
func (m *Session) SetWaiting(on bool, tone dsp.Tone) {
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
