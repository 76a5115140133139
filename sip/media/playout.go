package media

import (
	"time"

	"github.com/openbpclient/bpclient/audio/codec"
)

// newPlayer returns the step that releases one frame to the speaker:
// what the jitter buffer decides (jitter.go), decoded, concealed or
// cross-faded by the concealer (conceal.go).
func (m *Session) newPlayer() func() {
	pcm := make([]int16, 960)
	lost := newConcealer(960)
	return func() {
		m.mu.Lock()
		now := m.clock.Now()
		m.jb.noise = inComfortNoise(m.dec)
		p := m.jb.pop(now, lost.quiet())
		dec, frame, sink := m.dec, m.frame, m.audio.Sink
		m.addedDelay = m.jb.currentDelay(now) + frameDur
		beep := m.waiting
		m.mu.Unlock()
		if sink == nil || frame == 0 {
			m.countPlayed(p, now)
			return
		}
		n := frame
		switch p.op {
		case opWait:
			// Nothing to play (on hold, or no stream): the
			// call-waiting tone still sounds.
			if beep != nil {
				clear(pcm[:frame])
				beep.mix(pcm[:frame])
				_, _ = sink.WritePCM(pcm[:frame])
			}
			return
		case opLost, opStretch, opNoise:
			n = lost.conceal(dec, pcm, frame)
		case opPlay:
			n = decodeFrame(dec, pcm, p.payload, frame)
			if p.shrink && (p.urgent || lost.frameQuiet(pcm[:n])) {
				m.mu.Lock()
				next, ok := m.jb.shrinkFrame()
				m.mu.Unlock()
				if ok {
					p = next
					n = decodeFrame(dec, pcm, p.payload, frame)
					lost.dropped()
				}
			}
			lost.good(pcm[:n])
			if inComfortNoise(dec) {
				m.mu.Lock()
				m.playedSID++
				m.mu.Unlock()
			}
		}
		m.countPlayed(p, now)
		if beep != nil {
			beep.mix(pcm[:n])
		}
		_, _ = sink.WritePCM(pcm[:n])
	}
}

// countPlayed adds a played frame's wait in the buffer to the playout
// delay.
func (m *Session) countPlayed(p popped, now time.Time) {
	if p.op != opPlay {
		return
	}
	m.mu.Lock()
	m.bufDelay += now.Sub(p.at)
	m.bufCount++
	m.mu.Unlock()
}

// decodeFrame decodes payload into pcm; a payload that does not decode
// plays as a frame of silence. A payload shorter than the frame period
// (a G.729 SID frame alone is 10 ms) is completed with the decoder's
// concealment, which after a SID is more of its comfort noise: the
// period is played whole, as the sender's clock ran through it.
func decodeFrame(dec codec.Decoder, pcm []int16, payload []byte, frame int) int {
	k, err := dec.Decode(pcm, payload)
	if err != nil || k == 0 {
		clear(pcm[:frame])
		return frame
	}
	if cc, ok := dec.(codec.Concealer); ok && k < frame {
		if c, err := cc.Conceal(pcm[k:frame]); err == nil {
			k += c
		}
	}
	return k
}

// inComfortNoise reports whether dec's last frame was comfort noise.
func inComfortNoise(dec codec.Decoder) bool {
	cn, ok := dec.(codec.ComfortNoiser)
	return ok && cn.InComfortNoise()
}
