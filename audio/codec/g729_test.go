package codec

import (
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/openbpclient/bpclient/audio/dsp"
)

// The registered G.729 (our pure-Go one) in every build: the round trip
// on tones by level and SNR, and ffmpeg's own G.729 decoder on the same
// stream. The comparisons with bcg729 are in g729_interop_test.go.
func TestG729RoundTrip(t *testing.T) {
	in := testSignal(8000*2, 8000, 1000, 300)
	enc, _ := G729.NewEncoder()
	dec, _ := G729.NewDecoder()
	payloads := encodeAll(t, enc, in, 160, 20)
	for i, p := range payloads {
		if len(p) != 20 {
			t.Fatalf("payload %d: %d bytes, want 20", i, len(p))
		}
	}
	out := decodeAll(t, dec, payloads, 160)
	snr, lag := dsp.SNR(in, out, 200)
	t.Logf("G.729 round trip: SNR %.1f dB, delay %d samples", snr, lag)
	if snr < 8 {
		t.Errorf("SNR %.1f dB, want >= 8", snr)
	}
	checkG729Tones(t, out)

	ffmpeg, err := lookTool("ffmpeg")
	if err != nil {
		t.Skip("SKIP: ffmpeg not found (Debian package ffmpeg): cross-check with its G.729 decoder not run")
	}
	dir := t.TempDir()
	file := writeFile(t, dir, "ours.g729", concat(payloads))
	raw := filepath.Join(dir, "out.raw")
	run(t, ffmpeg, ffmpegArgs("-f", "g729", "-i", file, "-f", "s16le", "-ac", "1", "-ar", "8000", raw)...)
	got := readS16(t, raw)
	snr, lag = dsp.SNR(in, got, 200)
	t.Logf("G.729 encode, ffmpeg decode: SNR %.1f dB, delay %d samples", snr, lag)
	if snr < 8 {
		t.Errorf("ffmpeg decode: SNR %.1f dB, want >= 8", snr)
	}
	checkG729Tones(t, got)
}

func checkG729Tones(t *testing.T, pcm []int16) {
	t.Helper()
	pcm = pcm[len(pcm)/4:]
	for _, c := range []struct{ f, amp float64 }{{1000, 0.4}, {300, 0.1}} {
		a, _ := dsp.SineFit(pcm, c.f, 8000)
		if a < c.amp/2 || a > c.amp*2 {
			t.Errorf("tone %.0f Hz at %.3f of full scale, want about %.2f", c.f, a, c.amp)
		}
	}
}

func TestG729PayloadShapes(t *testing.T) {
	dec, _ := G729.NewDecoder()
	out := make([]int16, 400)
	for _, c := range []struct {
		n, want int
		ok      bool
	}{{10, 80, true}, {20, 160, true}, {12, 160, true}, {2, 80, true}, {0, 0, false}, {5, 0, false}, {21, 0, false}} {
		n, err := dec.Decode(out, make([]byte, c.n))
		if (err == nil) != c.ok || n != c.want {
			t.Errorf("decode %d bytes: %d, %v; want %d, ok=%v", c.n, n, err, c.want, c.ok)
		}
	}
	if n, err := dec.(Concealer).Conceal(out[:160]); err != nil || n != 160 {
		t.Errorf("conceal: %d, %v", n, err)
	}
	enc, _ := G729.NewEncoder()
	if _, err := enc.Encode(make([]byte, 20), make([]int16, 100)); err == nil {
		t.Error("encode of 100 samples: no error")
	}
}

func FuzzG729Decode(f *testing.F) {
	f.Add(make([]byte, 20))
	f.Add([]byte{0xff, 0xff})
	rng := rand.New(rand.NewSource(3))
	p := make([]byte, 22)
	rng.Read(p)
	f.Add(p)
	dec, _ := G729.NewDecoder()
	out := make([]int16, 80*32)
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) > 300 {
			return
		}
		n, err := dec.Decode(out, p)
		if err == nil && n%80 != 0 {
			t.Fatalf("decoded %d samples", n)
		}
	})
}
