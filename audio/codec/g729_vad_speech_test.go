//go:build cgo && g729

package codec

import (
	"math"
	"math/rand"
	"testing"

	"github.com/openbpclient/bpclient/audio/codec/g729"
)

// TestG729VADOnSpeech: espeak-ng speech at a normal level (-24 dBFS over
// its active frames) through the DTX encoder, from the call's first
// frame and after a second of background (digital silence, pink-ish
// noise at -45 dBFS): every frame that carries speech is sent as voice,
// each onset at most one frame (10 ms) late, and the background before
// it goes to DTX.
func TestG729VADOnSpeech(t *testing.T) {
	speech := speech8k(t)
	scaleToActiveLevel(speech, -24)
	rng := rand.New(rand.NewSource(11))
	backgrounds := []struct {
		name   string
		frames int
		noise  float64 // dBFS of the background, -inf for digital silence
	}{
		{"from the first frame", 0, math.Inf(-1)},
		{"after digital silence", 100, math.Inf(-1)},
		{"after white noise at -45 dBFS", 100, -45},
	}
	for _, b := range backgrounds {
		t.Run(b.name, func(t *testing.T) {
			lead := b.frames * g729Frame
			pcm := make([]int16, lead+len(speech))
			noise := 32768 * math.Pow(10, b.noise/20)
			// Speech counts where it stands 6 dB over the background
			// (under it, it is not heard) and over -50 dBFS.
			audible := max(-50, b.noise+6)
			for i := range pcm {
				v := rng.NormFloat64() * noise
				if i >= lead {
					v += float64(speech[i-lead])
				}
				pcm[i] = int16(max(-32768, min(32767, math.Round(v))))
			}
			enc := g729.NewEncoderDTX()
			buf := make([]byte, g729FrameLen)
			voice := make([]bool, len(pcm)/g729Frame)
			for f := range voice {
				n, err := enc.Encode(buf, pcm[f*g729Frame:(f+1)*g729Frame])
				if err != nil {
					t.Fatal(err)
				}
				voice[f] = n == g729FrameLen
			}
			if b.frames > 0 && voice[b.frames-1] {
				t.Errorf("the background's last frame was sent as voice")
			}
			// A coded frame holds the input from 5 ms before its own 10 ms
			// to 5 ms before its end (the encoder's look-ahead): it carries
			// speech when the speech there is audible.
			onsets, late, clipped, worst := 0, 0, 0, 0
			run := 0 // frames of speech so far in this stretch
			for f := b.frames; f < len(voice); f++ {
				lo, hi := max(lead, f*g729Frame-40), min(len(pcm), f*g729Frame+40)
				if rmsDBFS(speech[lo-lead:hi-lead]) < audible {
					run = 0
					continue
				}
				if run == 0 {
					onsets++
					d := 0
					for f+d < len(voice) && !voice[f+d] {
						d++
					}
					worst = max(worst, d)
					if d > 1 {
						late++
					}
				} else if !voice[f] {
					clipped++
				}
				run++
			}
			t.Logf("speech %s: %d onsets, the latest %d frames (%d ms) late; %d frames of speech not sent as voice",
				b.name, onsets, worst, worst*10, clipped)
			if late > 0 || clipped > 0 {
				t.Errorf("%d onsets more than one frame late, %d frames of speech cut", late, clipped)
			}
		})
	}
}

// scaleToActiveLevel scales pcm so its frames over -50 dBFS have the
// mean power of db dBFS.
func scaleToActiveLevel(pcm []int16, db float64) {
	var e float64
	n := 0
	for off := 0; off+g729Frame <= len(pcm); off += g729Frame {
		if rmsDBFS(pcm[off:off+g729Frame]) > -50 {
			for _, s := range pcm[off : off+g729Frame] {
				e += float64(s) * float64(s)
			}
			n += g729Frame
		}
	}
	if n == 0 {
		return
	}
	g := 32768 * math.Pow(10, db/20) / math.Sqrt(e/float64(n))
	for i, s := range pcm {
		pcm[i] = int16(max(-32768, min(32767, math.Round(float64(s)*g))))
	}
}

// rmsDBFS is the RMS of pcm in dBFS (0 dBFS: a full-scale square wave).
func rmsDBFS(pcm []int16) float64 {
	var e float64
	for _, s := range pcm {
		e += float64(s) * float64(s)
	}
	return 10 * math.Log10(e/float64(max(len(pcm), 1))/(32768*32768)+1e-12)
}
