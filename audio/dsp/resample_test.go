package dsp

import (
	"fmt"
	"math"
	"testing"
)

func pairs() [][2]int {
	var out [][2]int
	for _, a := range Rates {
		for _, b := range Rates {
			if a != b {
				out = append(out, [2]int{a, b})
			}
		}
	}
	return out
}

// resampleAll runs src through a new resampler in frames of frameMs.
func resampleAll(t testing.TB, in, out int, src []int16, frameMs int) []int16 {
	t.Helper()
	r, err := NewResampler(in, out)
	if err != nil {
		t.Fatal(err)
	}
	frame := in * frameMs / 1000
	var res []int16
	dst := make([]int16, r.MaxOut(frame))
	for off := 0; off < len(src); off += frame {
		end := min(off+frame, len(src))
		n := r.Process(dst, src[off:end])
		res = append(res, dst[:n]...)
	}
	return res
}

// A tone in the passband comes out at the same level and frequency, and
// everything else in the output (images, aliases, noise) stays 60 dB
// below it.
func TestResamplerPassband(t *testing.T) {
	for _, p := range pairs() {
		in, out := p[0], p[1]
		lower := min(in, out)
		for _, frac := range []float64{0.05, 0.2, 0.4} {
			f := frac * float64(lower)
			t.Run(fmt.Sprintf("%d-%d/%.0fHz", in, out, f), func(t *testing.T) {
				src := Sine(in, f, in, 0.5) // one second
				got := resampleAll(t, in, out, src, 20)
				if want := out; abs(len(got)-want) > 1 {
					t.Fatalf("%d samples out, want %d", len(got), want)
				}
				steady := got[out/10 : len(got)-out/10]
				amp, res := SineFit(steady, f, out)
				if db := 20 * math.Log10(amp/0.5); math.Abs(db) > 0.1 {
					t.Errorf("gain %.3f dB, want within 0.1 dB", db)
				}
				if snr := 20 * math.Log10(amp/math.Sqrt2/res); snr < 60 {
					t.Errorf("tone to residual %.1f dB, want >= 60", snr)
				}
			})
		}
	}
}

// stopbandAttenuation measures, for downsampling, how far tones between
// half the output rate and half the input rate are attenuated (their
// aliases are all that comes out), and for upsampling how far the images
// of passband tones are below the tone. It returns the worst case in dB.
func stopbandAttenuation(t testing.TB, in, out int) float64 {
	worst := math.Inf(1)
	if out < in {
		for f := 0.5 * float64(out); f < 0.5*float64(in); f += float64(in) / 97 {
			src := Sine(in/2, f, in, 0.5)
			got := resampleAll(t, in, out, src, 20)
			steady := got[len(got)/5 : len(got)-len(got)/10]
			if a := 20 * math.Log10(0.5/math.Sqrt2/math.Max(RMS(steady), 1e-9)); a < worst {
				worst = a
			}
		}
	}
	{
		// Imaging (up) and anything else (down): residual around passband tones.
		lower := float64(min(in, out))
		for f := 0.01 * lower; f < passEdge*lower; f += lower / 23 {
			src := Sine(in/2, f, in, 0.5)
			got := resampleAll(t, in, out, src, 20)
			steady := got[len(got)/5 : len(got)-len(got)/10]
			amp, res := SineFit(steady, f, out)
			if a := 20 * math.Log10(amp/math.Sqrt2/math.Max(res, 1e-9)); a < worst {
				worst = a
			}
		}
	}
	return worst
}

// The measured stop-band attenuation of every pair is at least 60 dB.
func TestResamplerStopband(t *testing.T) {
	for _, p := range pairs() {
		a := stopbandAttenuation(t, p[0], p[1])
		t.Logf("%5d -> %5d Hz: worst alias/image %.1f dB below the signal", p[0], p[1], a)
		if a < 60 {
			t.Errorf("%d -> %d: attenuation %.1f dB, want >= 60", p[0], p[1], a)
		}
	}
}

// Frames of 10, 20 and 30 ms give exactly what one long call gives: the
// state carries across frame borders.
func TestResamplerFrameBorders(t *testing.T) {
	for _, p := range pairs() {
		src := Sine(p[0]*3/10, 997, p[0], 0.7)
		whole := resampleAll(t, p[0], p[1], src, 300)
		for _, ms := range []int{10, 20, 30} {
			got := resampleAll(t, p[0], p[1], src, ms)
			if len(got) != len(whole) {
				t.Fatalf("%v in %d ms frames: %d samples, one call: %d", p, ms, len(got), len(whole))
			}
			for i := range got {
				if got[i] != whole[i] {
					t.Fatalf("%v in %d ms frames differs at sample %d", p, ms, i)
				}
			}
		}
	}
}

// With 10 ms multiples every frame yields the same number of samples.
func TestResamplerExactCounts(t *testing.T) {
	for _, p := range pairs() {
		r, _ := NewResampler(p[0], p[1])
		dst := make([]int16, r.MaxOut(p[0]/50))
		for i := 0; i < 20; i++ {
			if n := r.Process(dst, make([]int16, p[0]/50)); n != p[1]/50 {
				t.Fatalf("%v frame %d: %d samples, want %d", p, i, n, p[1]/50)
			}
		}
	}
}

func TestResamplerNoAllocs(t *testing.T) {
	for _, p := range pairs() {
		r, _ := NewResampler(p[0], p[1])
		src := Sine(p[0]/50, 440, p[0], 0.5)
		dst := make([]int16, r.MaxOut(len(src)))
		if a := testing.AllocsPerRun(100, func() { r.Process(dst, src) }); a != 0 {
			t.Errorf("%v: %.1f allocations per 20 ms frame", p, a)
		}
	}
}

func TestResamplerShortDstAndErrors(t *testing.T) {
	r, _ := NewResampler(8000, 48000)
	dst := make([]int16, 100)
	if n := r.Process(dst, make([]int16, 160)); n != 100 {
		t.Errorf("short dst: %d samples", n)
	}
	if n := r.Process(make([]int16, 960), make([]int16, 160)); n != 960 {
		t.Errorf("after a short dst: %d samples, want 960", n)
	}
	for _, c := range [][2]int{{0, 8000}, {8000, -1}, {8000, 1 << 30}} {
		if _, err := NewResampler(c[0], c[1]); err == nil {
			t.Errorf("NewResampler(%d, %d): no error", c[0], c[1])
		}
	}
	same, _ := NewResampler(16000, 16000)
	if n := same.Process(make([]int16, 320), make([]int16, 320)); n != 320 {
		t.Errorf("16000 -> 16000: %d", n)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func BenchmarkResampler(b *testing.B) {
	for _, p := range pairs() {
		b.Run(fmt.Sprintf("%d-%d", p[0], p[1]), func(b *testing.B) {
			r, _ := NewResampler(p[0], p[1])
			src := Sine(p[0]/50, 440, p[0], 0.5)
			dst := make([]int16, r.MaxOut(len(src)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r.Process(dst, src)
			}
			// A frame is 20 ms: 50 frames per second of audio.
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*50/1e6, "ms/s-audio")
		})
	}
}

// Delay says where an impulse comes out.
func TestResamplerDelay(t *testing.T) {
	for _, p := range pairs() {
		r, _ := NewResampler(p[0], p[1])
		src := make([]int16, p[0]/10)
		src[0] = 20000
		dst := make([]int16, r.MaxOut(len(src)))
		n := r.Process(dst, src)
		best := 0
		for i := range dst[:n] {
			if abs(int(dst[i])) > abs(int(dst[best])) {
				best = i
			}
		}
		if d := r.Delay(); math.Abs(float64(best)-d) > 1 {
			t.Errorf("%v: impulse peaks at %d, Delay says %.1f", p, best, d)
		}
	}
}
