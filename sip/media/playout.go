package media

import "time"

// newPlayer returns the step that releases one frame to the speaker,
// concealing a lost packet with the codec's concealment or a faded copy
// of the last frame.
func (m *Session) newPlayer() func() {
	pcm := make([]int16, 960)
	lost := newConcealer(960)
	return func() {
		m.mu.Lock()
		payload, at, ok, missing := m.jb.pop()
		if ok && !missing {
			m.bufDelay += m.clock.Now().Sub(at)
			m.bufCount++
		}
		dec, frame, sink := m.dec, m.frame, m.audio.Sink
		m.addedDelay = time.Duration(m.jb.depth()+1) * frameDur
		beep := m.waiting
		m.mu.Unlock()
		if sink == nil || frame == 0 {
			return
		}
		if !ok {
			// Nothing to play (on hold, or a gap): the call-waiting
			// tone still sounds.
			if beep != nil {
				clear(pcm[:frame])
				beep.mix(pcm[:frame])
				_, _ = sink.WritePCM(pcm[:frame])
			}
			return
		}
		var n int
		if missing {
			n = lost.conceal(dec, pcm, frame)
		} else {
			k, err := dec.Decode(pcm, payload)
			if err != nil {
				clear(pcm[:frame])
				k = frame
			}
			n = k
			lost.good(pcm[:n])
		}
		if beep != nil {
			beep.mix(pcm[:n])
		}
		_, _ = sink.WritePCM(pcm[:n])
	}
}
