package media

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/audio/codec"
)

// SendDTMF queues digits for RFC 4733; it fails when telephone-event was
// not negotiated (the caller then falls back to SIP INFO).
func (m *Session) SendDTMF(digits string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.neg.DTMF == nil {
		return ErrNoTelephoneEvent
	}
	for _, d := range digits {
		code, ok := DTMFCode(d)
		if !ok {
			return fmt.Errorf("not a DTMF digit: %q", d)
		}
		m.dtmfQ = append(m.dtmfQ, code)
	}
	return nil
}

// ErrNoTelephoneEvent is SendDTMF's when telephone-event was not
// negotiated: the call then sends its digits another way.
var ErrNoTelephoneEvent = errors.New("telephone-event not negotiated")

// DTMFCode is the RFC 4733 event code of a DTMF digit; false: r is not one.
func DTMFCode(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r - '0'), true
	case r == '*':
		return 10, true
	case r == '#':
		return 11, true
	case r >= 'A' && r <= 'D':
		return byte(12 + r - 'A'), true
	case r >= 'a' && r <= 'd':
		return byte(12 + r - 'a'), true
	}
	return 0, false
}

// writeRTP sends one packet; only the sender calls it, on the clock's
// goroutine or under the pacer's lock (pace.go), one at a time (it owns
// txBuf and txSec).
func (m *Session) writeRTP(pkt *rtp.Packet) {
	if m.txBuf == nil {
		m.txBuf = make([]byte, 1500)
		m.tx = newRTPSender(m.rtpConn)
	}
	n, err := pkt.MarshalTo(m.txBuf)
	if err != nil {
		return
	}
	buf := m.txBuf[:n]
	m.mu.Lock()
	dst := m.rtpPeer.dest()
	m.sentPkts++
	m.sentBytes += uint32(len(pkt.Payload))
	sec := m.sec
	m.mu.Unlock()
	if sec != nil {
		if buf, err = sec.ProtectRTP(m.txSec[:0], buf); err != nil {
			return
		}
		m.txSec = buf[:0]
	}
	if dst.IsValid() {
		_ = m.tx.writeTo(buf, dst)
	}
}

// clockLoop is the call's 20 ms clock: each tick plays one frame to the
// speaker and sends one frame to the wire (one timer, one wake-up).
func (m *Session) clockLoop() {
	send, play := m.newSender(), m.newPlayer()
	m.mu.Lock()
	fs, _ := m.audio.Source.(FrameSource)
	frame := m.frame
	m.mu.Unlock()
	var pace *pacer
	if fs != nil {
		pace = newPacer(fs, send, frame)
		fs.NotifyPCM(pace.ready)
		defer pace.close()
	}
	// Frames are due by the media clock since the start, so a late wake-up
	// catches up instead of losing a frame (a ticker drops ticks nobody
	// was there to take, and the jitter buffer would then fill up). The
	// count is rounded to the nearest frame: the clock wakes about on the
	// frame boundaries, a little early or late, and truncating would then
	// play none in one wake-up and two in the next.
	start := m.clock.Now()
	clock := m.clock.newFrameClock(frameDur)
	defer clock.close()
	stop := context.AfterFunc(m.ctx, clock.close)
	defer stop()
	done := 0
	for {
		if err := clock.wait(); err != nil {
			if m.ctx.Err() == nil {
				m.log.Error().Err(err).Msg("media clock failed; the call's audio stops")
			}
			return
		}
		due := int((m.clock.Now().Sub(start) + frameDur/2) / frameDur)
		if due-done > 10 {
			// Stalled for long (suspend, a starved machine): do not
			// burst, and let the frames that were due go unplayed, as
			// a speaker that was not fed plays nothing of them; kept,
			// they would hold the delay up until shrunk back.
			m.mu.Lock()
			m.jb.skip(due - 1 - done)
			m.mu.Unlock()
			done = due - 1
			if pace != nil {
				pace.rebase()
			}
		}
		for ; done < due; done++ {
			play()
			if pace != nil {
				pace.tick()
			} else {
				send(nil)
			}
		}
	}
}

// newSender returns the step that sends one frame: audio, or
// telephone-event packets while a digit is being sent. take fills the
// frame with the microphone's audio (pace.go); nil reads the source.
func (m *Session) newSender() func(take func(pcm []int16)) {
	pcm := make([]int16, 960)
	payload := make([]byte, 1500)
	var (
		evCode   byte
		evActive bool
		evStart  uint32
		evFrames int
		evEnds   int
		gap      int
		dtx      *dtxPacketiser   // with a DTX encoder (G.729 Annex B)
		unfit    codec.DTXEncoder // one whose frames do not fit a period
		err      error
	)
	var pkt rtp.Packet // reused: a packet per frame would be garbage 50 times a second
	return func(take func(pcm []int16)) {
		m.mu.Lock()
		sending, muted, frame, step := m.sending, m.muted, m.frame, m.tsStep
		src := m.audio.Source
		enc := m.enc
		var dtmfPT uint8
		if m.neg.DTMF != nil {
			dtmfPT = m.neg.DTMF.PT
		}
		if !evActive && gap == 0 && len(m.dtmfQ) > 0 {
			evCode, m.dtmfQ = m.dtmfQ[0], m.dtmfQ[1:]
			evActive, evStart, evFrames, evEnds = true, m.ts.Load(), 0, 0
			if dtx != nil {
				dtx.reset() // the digit's packets come between
			}
		}
		m.mu.Unlock()

		// Read the microphone even when not sending, so a device's
		// buffer does not fill up.
		n := frame
		t0 := m.clock.Now()
		if take != nil {
			take(pcm[:frame])
		} else if src != nil {
			got, err := src.ReadPCM(pcm[:frame])
			if err != nil || got < frame {
				clear(pcm[max(got, 0):frame])
			}
		} else {
			clear(pcm[:frame])
		}
		if !sending {
			if dtx != nil {
				dtx.reset()
			}
			m.ts.Add(step)
			return
		}
		if evActive {
			// 100 ms of tone (5 packets), then 3 end packets, all with the
			// event's start timestamp (RFC 4733 §2.5).
			evFrames++
			end := evFrames > 5
			dur := uint16(min(evFrames, 5)) * uint16(step)
			ev := codec.Event{Code: evCode, End: end, Volume: 10, Duration: dur}
			k, _ := codec.EncodeEvent(payload, ev)
			pkt.Header = rtp.Header{Version: 2, Marker: evFrames == 1, PayloadType: dtmfPT,
				SequenceNumber: m.nextSeq(), Timestamp: evStart, SSRC: m.ssrc}
			pkt.Payload = payload[:k]
			m.writeRTP(&pkt)
			if end {
				evEnds++
				if evEnds == 3 {
					evActive = false
					gap = 2 // 40 ms between digits
				}
			}
			m.ts.Add(step)
			return
		}
		if gap > 0 {
			gap--
		}
		if muted {
			clear(pcm[:n])
		} else if src != nil {
			// Without a microphone the call sends silence of its own:
			// not a microphone to judge.
			m.mic.observe(pcm[:n])
		}
		if de, ok := enc.(codec.DTXEncoder); ok {
			if (dtx == nil || dtx.enc != de) && unfit != de {
				if dtx, err = newDTXPacketiser(de, n, step); err != nil {
					unfit = de // said once, not every frame
					m.log.Error().Err(err).Msg("no audio is sent")
				}
			}
			if dtx != nil {
				m.sendDTX(dtx, &pkt, pcm[:n], t0)
			}
			m.ts.Add(step)
			return
		}
		k, err := enc.Encode(payload, pcm[:n])
		if err != nil {
			m.ts.Add(step)
			return
		}
		pkt.Header = rtp.Header{Version: 2, PayloadType: m.neg.Send.PT,
			SequenceNumber: m.nextSeq(), Timestamp: m.ts.Load(), SSRC: m.ssrc}
		pkt.Payload = payload[:k]
		m.writeRTP(&pkt)
		m.mu.Lock()
		m.sendDelay += m.clock.Now().Sub(t0)
		m.sendCount++
		m.mu.Unlock()
		m.ts.Add(step)
	}
}

// sendDTX sends one period of pcm through a DTX encoder's packetiser:
// a packet, two (a SID ended one mid-period) or none (silence, in which
// the timestamps go on: the receiver's clock holds through the gap).
func (m *Session) sendDTX(dtx *dtxPacketiser, pkt *rtp.Packet, pcm []int16, t0 time.Time) {
	var packets [2]dtxPacket
	out, err := dtx.frames(packets[:0], pcm, m.ts.Load())
	if err != nil {
		return
	}
	for _, p := range out {
		pkt.Header = rtp.Header{Version: 2, Marker: p.marker, PayloadType: m.neg.Send.PT,
			SequenceNumber: m.nextSeq(), Timestamp: p.ts, SSRC: m.ssrc}
		pkt.Payload = p.payload
		m.writeRTP(pkt)
	}
	if len(out) > 0 {
		m.mu.Lock()
		for _, p := range out {
			if len(p.payload)%dtx.voiceBytes != 0 {
				m.sentSID++
			}
		}
		m.sendDelay += m.clock.Now().Sub(t0)
		m.sendCount++
		m.mu.Unlock()
	}
}

func (m *Session) nextSeq() uint16 {
	s := m.seq
	m.seq++
	return s
}
