package sip

import (
	"math"
	"testing"

	"github.com/openbpclient/bpclient/audio/dsp"
)

// toneMic is a microphone playing a sine.
type toneMic struct {
	freq  float64
	rate  int
	phase float64
}

func (m *toneMic) ReadPCM(buf []int16) (int, error) {
	for i := range buf {
		buf[i] = int16(0.3 * 32767 * math.Sin(m.phase))
		m.phase += 2 * math.Pi * m.freq / float64(m.rate)
	}
	return len(buf), nil
}

type recordingSpeaker struct{ got []int16 }

func (s *recordingSpeaker) WritePCM(buf []int16) (int, error) {
	s.got = append(s.got, buf...)
	return len(buf), nil
}

// TestResampledAudioKeepsTheTone: devices opened at 8 kHz serve a 16 kHz
// (and a 48 kHz) codec: every read is full, and the tone keeps its
// frequency both ways.
func TestResampledAudioKeepsTheTone(t *testing.T) {
	for _, codecRate := range []int{16000, 48000} {
		src, err := newResampledSource(&toneMic{freq: 1000, rate: 8000}, 8000, codecRate)
		if err != nil {
			t.Fatal(err)
		}
		frame := codecRate / 50
		var mic []int16
		buf := make([]int16, frame)
		for range 50 {
			if n, err := src.ReadPCM(buf); n != frame || err != nil {
				t.Fatalf("%d Hz: read %d, %v", codecRate, n, err)
			}
			mic = append(mic, buf...)
		}
		steady := mic[len(mic)/2:]
		if f := dsp.DominantFrequency(steady, codecRate); math.Abs(f-1000) > 10 {
			t.Errorf("microphone at %d Hz: dominant %.0f Hz, want 1000", codecRate, f)
		}
		if a := dsp.Goertzel(steady, 1000, codecRate); a < 0.25 {
			t.Errorf("microphone at %d Hz: tone amplitude %.2f, want about 0.3", codecRate, a)
		}

		spk := &recordingSpeaker{}
		sink, err := newResampledSink(spk, codecRate, 8000)
		if err != nil {
			t.Fatal(err)
		}
		far := &toneMic{freq: 440, rate: codecRate}
		for range 50 {
			far.ReadPCM(buf)
			if n, err := sink.WritePCM(buf); n != frame || err != nil {
				t.Fatalf("%d Hz: write %d, %v", codecRate, n, err)
			}
		}
		if len(spk.got) < 50*160-2 || len(spk.got) > 50*160+2 {
			t.Errorf("speaker got %d samples at 8 kHz for 1 s, want about 8000", len(spk.got))
		}
		if f := dsp.DominantFrequency(spk.got[len(spk.got)/2:], 8000); math.Abs(f-440) > 10 {
			t.Errorf("speaker from %d Hz: dominant %.0f Hz, want 440", codecRate, f)
		}
	}
}
