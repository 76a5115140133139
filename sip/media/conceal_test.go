package media

import (
	"errors"
	"math"
	"testing"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/audio/dsp"
)

// plainDecoder is a codec without concealment of its own.
type plainDecoder struct{}

func (plainDecoder) Decode(dst []int16, payload []byte) (int, error) { return 0, errors.New("unused") }

// ownConcealer is a codec that conceals by itself: it plays a 400 Hz
// tone for a lost frame, so the test can tell whose concealment played.
type ownConcealer struct{ plainDecoder }

func (ownConcealer) Conceal(dst []int16) (int, error) {
	return copy(dst, dsp.Sine(len(dst), 400, 8000, 3000)), nil
}

// A codec without concealment of its own replays the last good frame
// fading, the energy falling with every frame lost in a row, then
// silence; a good frame starts the fade over.
func TestConcealFadesLastFrame(t *testing.T) {
	const frame = 160
	c := newConcealer(960)
	good := dsp.Sine(frame, 1000, 8000, 8000)
	c.good(good)
	pcm := make([]int16, 960)
	prev := dsp.RMS(good)
	for run := 1; run <= 5; run++ {
		if n := c.conceal(plainDecoder{}, pcm, frame); n != frame {
			t.Fatalf("lost frame %d: %d samples, want %d", run, n, frame)
		}
		e := dsp.RMS(pcm[:frame])
		switch {
		case run <= 3:
			if e >= prev*0.6 || e < prev*0.4 {
				t.Errorf("lost frame %d: RMS %.3g after %.3g, want about half", run, e, prev)
			}
			if g := dsp.Goertzel(pcm[:frame], 1000, 8000); g < 0.9*e*math.Sqrt2 {
				t.Errorf("lost frame %d: 1 kHz at %.3g of RMS %.3g: not the last frame's tone", run, g, e)
			}
		default:
			if e != 0 {
				t.Errorf("lost frame %d: RMS %.3g, want silence", run, e)
			}
		}
		prev = e
	}
	c.good(good)
	c.conceal(plainDecoder{}, pcm, frame)
	if e, want := dsp.RMS(pcm[:frame]), dsp.RMS(good)/2; e < want*0.9 || e > want*1.1 {
		t.Errorf("after a good frame the fade did not start over: RMS %.3g, want about %.3g", e, want)
	}
}

// A codec with its own concealment (Opus, G.729) plays that, however
// many frames are lost.
func TestConcealUsesCodecConcealment(t *testing.T) {
	const frame = 160
	c := newConcealer(960)
	c.good(dsp.Sine(frame, 1000, 8000, 8000))
	pcm := make([]int16, 960)
	var dec codec.Decoder = ownConcealer{}
	for run := 1; run <= 5; run++ {
		if n := c.conceal(dec, pcm, frame); n != frame {
			t.Fatalf("lost frame %d: %d samples", run, n)
		}
		if at400, at1k := dsp.Goertzel(pcm[:frame], 400, 8000), dsp.Goertzel(pcm[:frame], 1000, 8000); at400 < 10*at1k {
			t.Errorf("lost frame %d: 400 Hz %.3g, 1 kHz %.3g: the codec's concealment did not play", run, at400, at1k)
		}
	}
}
