package dsp

import (
	"math"
	"math/cmplx"
)

// Analysis helpers for tests that check audio by frequency rather than by
// sample values: a codec, a resampler or a sound server may change every
// sample and still carry the right tone.

// Goertzel returns the amplitude (1.0 = full scale) of the component of
// pcm at freq Hz, sampled at rate Hz. It is exact for frequencies that
// fall on a bin of len(pcm) and close otherwise; use SineFit for exact
// amplitudes at any frequency.
func Goertzel(pcm []int16, freq float64, rate int) float64 {
	if len(pcm) == 0 {
		return 0
	}
	w := 2 * math.Pi * freq / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range pcm {
		s0 := float64(x)/32768 + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	re := s1 - s2*math.Cos(w)
	im := s2 * math.Sin(w)
	return 2 * math.Sqrt(re*re+im*im) / float64(len(pcm))
}

// SineFit fits a*sin + b*cos at freq Hz to pcm by least squares and
// returns the sine's amplitude (1.0 = full scale) and the RMS of what is
// left (everything that is not that sine: noise, distortion, aliases).
func SineFit(pcm []int16, freq float64, rate int) (amplitude, residualRMS float64) {
	if len(pcm) == 0 {
		return 0, 0
	}
	w := 2 * math.Pi * freq / float64(rate)
	var ss, cc, sc, xs, xc float64
	for i, v := range pcm {
		x := float64(v) / 32768
		s, c := math.Sincos(w * float64(i))
		ss += s * s
		cc += c * c
		sc += s * c
		xs += x * s
		xc += x * c
	}
	det := ss*cc - sc*sc
	if det == 0 {
		return 0, RMS(pcm)
	}
	a := (xs*cc - xc*sc) / det
	b := (xc*ss - xs*sc) / det
	var res float64
	for i, v := range pcm {
		x := float64(v) / 32768
		s, c := math.Sincos(w * float64(i))
		d := x - a*s - b*c
		res += d * d
	}
	return math.Hypot(a, b), math.Sqrt(res / float64(len(pcm)))
}

// ToneSNR is the ratio in dB of the sine at freq to everything else in
// pcm, from SineFit.
func ToneSNR(pcm []int16, freq float64, rate int) float64 {
	a, r := SineFit(pcm, freq, rate)
	if r == 0 {
		return math.Inf(1)
	}
	return 20 * math.Log10(a/math.Sqrt2/r)
}

// FFT computes the discrete Fourier transform of x in place. len(x) must
// be a power of two.
func FFT(x []complex128) {
	n := len(x)
	if n&(n-1) != 0 {
		panic("dsp.FFT: length is not a power of two")
	}
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		step := cmplx.Exp(complex(0, -2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			w := complex(1, 0)
			for k := 0; k < size/2; k++ {
				a, b := x[start+k], x[start+k+size/2]*w
				x[start+k], x[start+k+size/2] = a+b, a-b
				w *= step
			}
		}
	}
}

// Spectrum returns the magnitude spectrum of pcm (Hann-windowed, zero
// padded to a power of two) as amplitudes per bin (1.0 = full-scale sine)
// and the width of one bin in Hz.
func Spectrum(pcm []int16, rate int) (mags []float64, binHz float64) {
	n := 1
	for n < len(pcm) {
		n <<= 1
	}
	x := make([]complex128, n)
	var wsum float64
	for i, v := range pcm {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(len(pcm)))
		wsum += w
		x[i] = complex(float64(v)/32768*w, 0)
	}
	FFT(x)
	mags = make([]float64, n/2+1)
	if wsum == 0 {
		return mags, float64(rate) / float64(n)
	}
	for i := range mags {
		mags[i] = 2 * cmplx.Abs(x[i]) / wsum
	}
	return mags, float64(rate) / float64(n)
}

// DominantFrequency returns the frequency in Hz of the strongest
// component of pcm (refined between bins by parabolic interpolation).
func DominantFrequency(pcm []int16, rate int) float64 {
	mags, binHz := Spectrum(pcm, rate)
	best := 1
	for i := 1; i < len(mags); i++ {
		if mags[i] > mags[best] {
			best = i
		}
	}
	if best <= 0 || best >= len(mags)-1 {
		return float64(best) * binHz
	}
	a, b, c := mags[best-1], mags[best], mags[best+1]
	den := a - 2*b + c
	off := 0.0
	if den != 0 {
		off = 0.5 * (a - c) / den
	}
	return (float64(best) + off) * binHz
}

// SNR compares test against ref after finding the delay (0..maxLag
// samples, test lagging ref) and gain that match them best, and returns
// the ratio in dB of ref's power to the power of the difference, with the
// lag it chose. Codecs delay and scale; this measures what they distort.
func SNR(ref, test []int16, maxLag int) (db float64, lag int) {
	best := math.Inf(-1)
	for l := 0; l <= maxLag; l++ {
		n := len(ref)
		if len(test)-l < n {
			n = len(test) - l
		}
		if n <= 0 {
			break
		}
		var rr, tt, rt float64
		for i := 0; i < n; i++ {
			r, t := float64(ref[i]), float64(test[i+l])
			rr += r * r
			tt += t * t
			rt += r * t
		}
		if rr == 0 || tt == 0 {
			continue
		}
		// Best gain g = rt/tt; error = rr - rt²/tt.
		e := rr - rt*rt/tt
		var s float64
		if e <= 0 {
			s = math.Inf(1)
		} else {
			s = 10 * math.Log10(rr/e)
		}
		if s > best {
			best, lag = s, l
		}
	}
	return best, lag
}

// Sine returns n samples of a sine at freq Hz and amplitude (1.0 = full
// scale), for test signals.
func Sine(n int, freq float64, rate int, amplitude float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = clamp16(amplitude * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

func clamp16(v float64) int16 {
	v = math.Round(v)
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return int16(v)
}
