package media

import (
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/sip/sdp"
)

// frameSink is a speaker that keeps each frame it is given apart.
type frameSink struct {
	mu     sync.Mutex
	frames [][]int16
}

func (s *frameSink) WritePCM(buf []int16) (int, error) {
	s.mu.Lock()
	s.frames = append(s.frames, append([]int16(nil), buf...))
	s.mu.Unlock()
	return len(buf), nil
}

func (s *frameSink) played() [][]int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]int16(nil), s.frames...)
}

// The whole receive side on a fake clock, with no SIP server: packets
// of a 1 kHz tone arrive with three lost, and each advance of the clock
// plays what is due. The tone plays, the gap is concealed by the tone
// continued at its level, and the tone comes back.
func TestPlayoutConcealsAGapOnTheMediaClock(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	m := clockedMedia(t, clock, Options{})
	sig := listenLoopback(t, "127.0.0.1")
	sigRTCP := listenLoopback(t, "127.0.0.1")
	send := pcmu(t)[0]
	neg := sdp.Agreement{Remote: sig.LocalAddr().(*net.UDPAddr), RemoteRTCP: sigRTCP.LocalAddr().(*net.UDPAddr), Send: send, Direction: sdp.SendRecv}
	sink := &frameSink{}
	if err := m.Start(neg, Audio{Sink: sink}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)

	enc, err := send.Codec.NewEncoder()
	if err != nil {
		t.Fatal(err)
	}
	tone := dsp.Sine(160, 1000, 8000, 12000)
	payload := make([]byte, 160)
	k, err := enc.Encode(payload, tone)
	if err != nil {
		t.Fatal(err)
	}
	const frames = 13
	gap := func(s uint16) bool { return s >= 5 && s <= 7 }
	arrived := 0
	for s := uint16(0); s < frames; s++ {
		if gap(s) {
			continue
		}
		b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: send.PT, SequenceNumber: s, Timestamp: uint32(s) * 160, SSRC: 0xabc},
			Payload: payload[:k]}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sig.WriteTo(b, m.rtpConn.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		arrived++
	}
	waitFor(t, "the packets buffered", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return int(m.rx.received) == arrived
	})
	// Each 20 ms of the media clock plays one frame. A step returns when
	// the frame loop has taken its wake-up, not when the frame reached
	// the sink: the next step waits for it, since a step taken while
	// the last frame is on its way would conceal one more.
	for i := 1; i <= frames; i++ {
		clock.step(t, frameDur)
		waitFor(t, "a frame for each 20 ms", func() bool { return len(sink.played()) >= i })
	}
	got := sink.played()
	if len(got) < frames {
		t.Fatalf("%d frames played in %d frame periods, want %d", len(got), 2*frames, frames)
	}
	toneRMS := dsp.RMS(tone)
	for i, f := range got[:frames] {
		e := dsp.RMS(f)
		at1k := dsp.Goertzel(f, 1000, 8000)
		switch {
		case gap(uint16(i)):
			if e < toneRMS*0.9 || e > toneRMS*1.1 || at1k < 0.9*e*math.Sqrt2 {
				t.Errorf("lost frame %d: RMS %.3g, 1 kHz %.3g; want the tone continued at RMS %.3g", i, e, at1k, toneRMS)
			}
		default:
			if e < toneRMS*0.9 || at1k < 0.9*e*math.Sqrt2 {
				t.Errorf("frame %d: RMS %.3g, 1 kHz %.3g; want the tone at RMS %.3g", i, e, at1k, toneRMS)
			}
		}
	}
	if st := m.Stats(); st.Concealed != 3 || st.Played != frames-3 {
		t.Errorf("played %d, concealed %d; want %d and 3", st.Played, st.Concealed, frames-3)
	}
}
