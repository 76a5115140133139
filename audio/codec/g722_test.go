package codec

import (
	"math"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/openbpclient/bpclient/audio/dsp"
)

func ffmpegArgs(args ...string) []string {
	return append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)
}

// testSignal is two tones (one per sub-band for G.722) plus a little
// noise, so the adaptive quantizers see a changing signal.
func testSignal(n, rate int, f1, f2 float64) []int16 {
	a := dsp.Sine(n, f1, rate, 0.4)
	b := dsp.Sine(n, f2, rate, 0.1)
	rng := rand.New(rand.NewSource(1))
	for i := range a {
		a[i] += b[i] + int16(rng.Intn(65)-32)
	}
	return a
}

// Checked against ffmpeg's G.722 (libavcodec adpcm_g722) both ways, and
// our decoder against ffmpeg's decoder on the same bitstream.
func TestG722AgainstFFmpeg(t *testing.T) {
	ffmpeg := needTool(t, "ffmpeg", "ffmpeg")
	for _, tc := range []struct {
		name   string
		f1, f2 float64
		minSNR float64 // against the input
	}{
		{"1000+300 Hz", 1000, 300, 30},
		{"440+6000 Hz", 440, 6000, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := testSignal(32000, 16000, tc.f1, tc.f2)
			raw := writeS16(t, dir, "in.raw", in)

			// ffmpeg encodes; both decode.
			ref := filepath.Join(dir, "ref.g722")
			run(t, ffmpeg, ffmpegArgs("-f", "s16le", "-ar", "16000", "-ac", "1", "-i", raw, "-c:a", "g722", "-f", "g722", ref)...)
			refDec := filepath.Join(dir, "ref.raw")
			run(t, ffmpeg, ffmpegArgs("-f", "g722", "-i", ref, "-f", "s16le", "-ac", "1", "-ar", "16000", refDec)...)
			dec, _ := G722.NewDecoder()
			ours := decodeAll(t, dec, [][]byte{readFile(t, ref)}, 32000)
			theirs := readS16(t, refDec)
			snr, lag := dsp.SNR(theirs, ours, 0)
			t.Logf("ffmpeg encode: our decode vs ffmpeg decode: SNR %.1f dB", snr)
			if snr < 60 {
				t.Errorf("our decoder differs from ffmpeg's on the same stream: SNR %.1f dB at lag %d", snr, lag)
			}
			snr, lag = dsp.SNR(in, ours, 64)
			t.Logf("ffmpeg encode, our decode vs input: SNR %.1f dB, delay %d samples", snr, lag)
			if snr < tc.minSNR {
				t.Errorf("ffmpeg encode, our decode: SNR %.1f dB, want >= %.0f", snr, tc.minSNR)
			}
			checkTones(t, ours, 16000, tc.f1, tc.f2)

			// We encode, ffmpeg decodes.
			enc, _ := G722.NewEncoder()
			stream := concat(encodeAll(t, enc, in, 320, 160))
			mine := writeFile(t, dir, "ours.g722", stream)
			out := filepath.Join(dir, "out.raw")
			run(t, ffmpeg, ffmpegArgs("-f", "g722", "-i", mine, "-f", "s16le", "-ac", "1", "-ar", "16000", out)...)
			got := readS16(t, out)
			snr, lag = dsp.SNR(in, got, 64)
			t.Logf("our encode, ffmpeg decode vs input: SNR %.1f dB, delay %d samples", snr, lag)
			if snr < tc.minSNR {
				t.Errorf("our encode, ffmpeg decode: SNR %.1f dB, want >= %.0f", snr, tc.minSNR)
			}
			checkTones(t, got, 16000, tc.f1, tc.f2)
		})
	}
}

// checkTones asserts both tones come out at about the level they went in
// (0.4 and 0.1 of full scale).
func checkTones(t *testing.T, pcm []int16, rate int, f1, f2 float64) {
	t.Helper()
	pcm = pcm[len(pcm)/4:] // past the adaptation
	for _, c := range []struct{ f, amp float64 }{{f1, 0.4}, {f2, 0.1}} {
		a, _ := dsp.SineFit(pcm, c.f, rate)
		if db := 20 * math.Log10(a/c.amp); math.Abs(db) > 1.5 {
			t.Errorf("tone %.0f Hz at %.3f of full scale, want %.2f (%.1f dB off)", c.f, a, c.amp, db)
		}
	}
}

// Our encoder into our decoder, with state carried across 20 ms frames:
// same result as one long frame.
func TestG722FramesKeepState(t *testing.T) {
	in := testSignal(16000, 16000, 1000, 5000)
	encA, decA := NewG722Encoder(), NewG722Decoder()
	whole := make([]byte, len(in)/2)
	encA.Encode(whole, in)
	outWhole := make([]int16, len(in))
	decA.Decode(outWhole, whole)

	encB, decB := NewG722Encoder(), NewG722Decoder()
	framed := concat(encodeAll(t, encB, in, 320, 160))
	outFramed := decodeAll(t, decB, [][]byte{framed}, len(in))
	for i := range whole {
		if whole[i] != framed[i] {
			t.Fatalf("byte %d differs between one frame and 20 ms frames", i)
		}
	}
	for i := range outWhole {
		if outWhole[i] != outFramed[i] {
			t.Fatalf("sample %d differs", i)
		}
	}
	if snr, _ := dsp.SNR(in, outWhole, 64); snr < 20 {
		t.Errorf("round trip SNR %.1f dB", snr)
	}
}

func TestG722Errors(t *testing.T) {
	enc := NewG722Encoder()
	if _, err := enc.Encode(make([]byte, 160), make([]int16, 319)); err == nil {
		t.Error("odd sample count: no error")
	}
	if _, err := enc.Encode(make([]byte, 10), make([]int16, 320)); err == nil {
		t.Error("short dst: no error")
	}
	if _, err := NewG722Decoder().Decode(make([]int16, 10), make([]byte, 160)); err == nil {
		t.Error("short dst: no error")
	}
}

// Full-scale square waves and clipping must not overflow anything.
func TestG722Extremes(t *testing.T) {
	in := make([]int16, 16000)
	for i := range in {
		if (i/8)%2 == 0 {
			in[i] = 32767
		} else {
			in[i] = -32768
		}
	}
	enc, dec := NewG722Encoder(), NewG722Decoder()
	b := make([]byte, len(in)/2)
	enc.Encode(b, in)
	out := make([]int16, len(in))
	dec.Decode(out, b)
	if lvl := dsp.RMS(out[4000:]); lvl < 0.5 {
		t.Errorf("full-scale square wave came back at RMS %.2f", lvl)
	}
}

func FuzzG722Decode(f *testing.F) {
	f.Add([]byte{0x00, 0xff, 0x3f, 0xc0})
	f.Add(make([]byte, 160))
	f.Fuzz(func(t *testing.T, p []byte) {
		d := NewG722Decoder()
		out := make([]int16, 2*len(p))
		n, err := d.Decode(out, p)
		if err != nil || n != 2*len(p) {
			t.Fatalf("decode %d bytes: %d, %v", len(p), n, err)
		}
		// The state stays within its ranges however hostile the input.
		for _, b := range []*band{&d.low, &d.high} {
			if b.a[2] > 12288 || b.a[2] < -12288 || b.nb < 0 || b.nb > 22528 {
				t.Fatalf("state out of range: %+v", *b)
			}
		}
	})
}
