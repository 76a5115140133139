package media

import (
	"errors"
	"math"
	"math/rand/v2"
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

// frames of a continuous tone, from sample offset start.
func toneFrames(freq, amp float64, start, n int) [][]int16 {
	out := make([][]int16, n)
	for f := range out {
		out[f] = make([]int16, 160)
		for k := range out[f] {
			out[f][k] = int16(amp * math.Sin(2*math.Pi*freq*float64(start+f*160+k)/8000))
		}
	}
	return out
}

// maxStep is the largest change between neighbouring samples.
func maxStep(pcm []int16) int {
	m := 0
	for i := 1; i < len(pcm); i++ {
		d := int(pcm[i]) - int(pcm[i-1])
		m = max(m, d, -d)
	}
	return m
}

// A lost frame continues the waveform: the tone at full level for the
// first 60 ms of a loss, with no step at the seams, fading from there
// to comfort noise at the background's level by 200 ms.
func TestConcealContinuesTheWaveformThenFadesToComfortNoise(t *testing.T) {
	for _, freq := range []float64{220, 300, 1000} {
		c := newConcealer(960)
		rng := rand.New(rand.NewPCG(1, 2))
		// A second of background noise at RMS 100, then the tone.
		for f := 0; f < 50; f++ {
			n := make([]int16, 160)
			for k := range n {
				n[k] = int16(rng.NormFloat64() * 100)
			}
			c.good(n)
		}
		good := toneFrames(freq, 8000, 0, 10)
		for _, f := range good {
			c.good(append([]int16(nil), f...))
		}
		toneStep := maxStep(good[9])
		pcm := make([]int16, 960)
		prev := good[9]
		for run := 1; run <= 15; run++ {
			if n := c.conceal(plainDecoder{}, pcm, 160); n != 160 {
				t.Fatalf("%v Hz lost frame %d: %d samples", freq, run, n)
			}
			f := pcm[:160]
			level, purity := toneCheck(f, freq, 8000)
			joined := append(append([]int16(nil), prev[150:]...), f[:10]...)
			switch {
			case run <= 3:
				if level < 0.95 || level > 1.05 || purity < 0.95 {
					t.Errorf("%v Hz lost frame %d: level %.2f, tone %.2f; want the tone at full level", freq, run, level, purity)
				}
				if s := maxStep(joined); float64(s) > 1.3*float64(toneStep) {
					t.Errorf("%v Hz lost frame %d: a step of %d at its start, the tone's largest is %d", freq, run, s, toneStep)
				}
				if s := maxStep(f); float64(s) > 1.3*float64(toneStep) {
					t.Errorf("%v Hz lost frame %d: a step of %d inside, the tone's largest is %d", freq, run, s, toneStep)
				}
			case run == 6:
				if level > 0.8 || level < 0.3 {
					t.Errorf("%v Hz lost frame %d (120 ms): level %.2f, want fading", freq, run, level)
				}
			case run > 10:
				if e := dsp.RMS(f) * 32768; e < 70 || e > 130 {
					t.Errorf("%v Hz lost frame %d: RMS %.0f, want comfort noise at the background's 100", freq, run, e)
				}
			}
			prev = append([]int16(nil), f...)
		}
	}
}

// When the audio comes back it is cross-faded in from the waveform's
// continuation: no step larger than the tone's own.
func TestConcealJoinsTheReturningAudio(t *testing.T) {
	const freq = 300
	c := newConcealer(960)
	frames := toneFrames(freq, 8000, 0, 14)
	for _, f := range frames[:10] {
		c.good(append([]int16(nil), f...))
	}
	pcm := make([]int16, 960)
	c.conceal(plainDecoder{}, pcm, 160)
	c.conceal(plainDecoder{}, pcm, 160)
	last := append([]int16(nil), pcm[:160]...)
	back := append([]int16(nil), frames[12]...)
	c.good(back)
	joined := append(last[140:], back[:40]...)
	if s, tone := maxStep(joined), maxStep(frames[9]); float64(s) > 1.3*float64(tone) {
		t.Errorf("a step of %d where the audio came back, the tone's largest is %d", s, tone)
	}
	if level, purity := toneCheck(back, freq, 8000); level < 0.9 || purity < 0.9 {
		t.Errorf("the frame that came back: level %.2f, tone %.2f", level, purity)
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

// G.722 has no concealment of its own (audio/codec offers none): the
// generic one works at its 16 kHz as at 8 kHz, the pitch range and
// history scaled with the rate.
func TestConcealAt16kHz(t *testing.T) {
	const rate, frame, freq = 16000, 320, 250.0
	c := newConcealer(960)
	tone := func(f int) []int16 {
		out := make([]int16, frame)
		for k := range out {
			out[k] = int16(8000 * math.Sin(2*math.Pi*freq*float64(f*frame+k)/rate))
		}
		return out
	}
	for f := 0; f < 10; f++ {
		c.good(tone(f))
	}
	pcm := make([]int16, 960)
	for run := 1; run <= 3; run++ {
		c.conceal(plainDecoder{}, pcm, frame)
		e := dsp.RMS(pcm[:frame]) * 32768 / (8000 / math.Sqrt2)
		if g := dsp.Goertzel(pcm[:frame], freq, rate) / (dsp.RMS(pcm[:frame]) * math.Sqrt2); e < 0.95 || e > 1.05 || g < 0.95 {
			t.Errorf("lost frame %d at 16 kHz: level %.2f, tone %.2f; want the tone at full level", run, e, g)
		}
	}
}
