package dsp

import (
	"fmt"
	"math"
	"sync"
)

// Resampler converts a stream of 16-bit mono samples from one rate to
// another with a polyphase windowed-sinc FIR (Kaiser window). The filter
// passes up to 43% of the lower rate (3.44 kHz at 8 kHz, 20.6 kHz at
// 48 kHz) flat and attenuates from half the lower rate upwards by about
// 80 dB, so aliasing and imaging stay below -60 dB (the tests measure it).
//
// It keeps its state between calls, so frames of any size (10, 20, 30 ms)
// join without clicks, and it does not allocate once it has seen the
// largest frame it will get. One Resampler per stream; not safe for
// concurrent use.
type Resampler struct {
	in, out int
	up      int // L: the filter runs at in*L
	down    int // M: every M-th sample of it is kept
	taps    int // taps per phase
	coef    []float32
	buf     []float32 // taps-1 samples of history, then the new input
	phase   int       // phase of the next output, 0..L-1
	next    int       // index (in the next input block) of the newest sample the next output uses
}

// Rates the resampler is designed and tested for. Any pair of positive
// rates works; these are the ones telephony and sound cards use.
var Rates = []int{8000, 16000, 44100, 48000}

const (
	passEdge  = 0.43 // of the lower rate: flat up to here
	stopEdge  = 0.50 // of the lower rate: attenuated from here on
	stopAtten = 80.0 // dB, the Kaiser design target
)

type filterKey struct{ in, out int }

type filter struct {
	up, down, taps int
	coef           []float32
}

// filters are designed once per rate pair and shared (read-only); the
// map is made with the first, not by the package's initialiser.
var (
	filtersMu sync.Mutex
	filters   map[filterKey]*filter
)

// NewResampler returns a resampler from rate in to rate out (Hz).
func NewResampler(in, out int) (*Resampler, error) {
	if in <= 0 || out <= 0 || in > 384000 || out > 384000 {
		return nil, fmt.Errorf("new resampler %d -> %d Hz: rates must be in 1..384000", in, out)
	}
	f := designFilter(in, out)
	r := &Resampler{in: in, out: out, up: f.up, down: f.down, taps: f.taps, coef: f.coef}
	r.buf = make([]float32, r.taps-1+in/50) // room for 20 ms without growing
	return r, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func designFilter(in, out int) *filter {
	filtersMu.Lock()
	defer filtersMu.Unlock()
	k := filterKey{in, out}
	if f, ok := filters[k]; ok {
		return f
	}
	if filters == nil {
		filters = map[filterKey]*filter{}
	}
	g := gcd(in, out)
	up, down := out/g, in/g
	f := &filter{up: up, down: down}
	if in == out {
		f.taps = 4
		f.coef = []float32{0, 0, 0, 1}
		filters[k] = f
		return f
	}
	lower := math.Min(float64(in), float64(out))
	// Kaiser's estimate of the length for the attenuation and transition
	// width, counted in samples of the lower rate, then in input samples.
	width := (stopEdge - passEdge) * 2 * math.Pi
	nLower := (stopAtten - 7.95) / (2.285 * width)
	taps := int(math.Ceil(nLower * float64(in) / lower))
	taps = (taps + 3) &^ 3 // a multiple of 4 for the unrolled dot product
	f.taps = taps
	n := taps * up
	beta := 0.1102 * (stopAtten - 8.7)
	fc := (passEdge + stopEdge) / 2 * lower / float64(in*up) // cycles per sample at in*L
	center := float64(n-1) / 2
	proto := make([]float64, n)
	var sum float64
	i0b := besselI0(beta)
	for j := range proto {
		t := float64(j) - center
		x := 2 * fc * t
		s := 2 * fc
		if x != 0 {
			s = math.Sin(math.Pi*x) / (math.Pi * t)
		}
		r := 2*float64(j)/float64(n-1) - 1
		w := besselI0(beta*math.Sqrt(math.Max(0, 1-r*r))) / i0b
		proto[j] = s * w
		sum += proto[j]
	}
	// Each phase k holds h[k*L+φ] in reverse order, so an output is a
	// forward dot product over the newest taps input samples.
	f.coef = make([]float32, n)
	gain := float64(up) / sum
	for ph := 0; ph < up; ph++ {
		for k := 0; k < taps; k++ {
			f.coef[ph*taps+taps-1-k] = float32(proto[k*up+ph] * gain)
		}
	}
	filters[k] = f
	return f
}

func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 64; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
		if term*term < sum*1e-17 {
			break
		}
	}
	return sum
}

// InRate and OutRate return the rates in Hz.
func (r *Resampler) InRate() int  { return r.in }
func (r *Resampler) OutRate() int { return r.out }

// MaxOut returns the most samples Process can write for n input samples.
func (r *Resampler) MaxOut(n int) int { return (n*r.up+r.down-1)/r.down + 1 }

// Delay returns the filter's delay in output samples.
func (r *Resampler) Delay() float64 {
	return float64(r.taps*r.up-1) / 2 / float64(r.up) * float64(r.out) / float64(r.in)
}

// Reset forgets the history, as at the start of a new stream.
func (r *Resampler) Reset() {
	clear(r.buf[:r.taps-1])
	r.phase, r.next = 0, 0
}

// Process converts src and writes the result to dst, returning the number
// of samples written. dst should hold MaxOut(len(src)) samples (outputs
// beyond len(dst) are dropped, the stream stays in step); with frames
// of 10 ms multiples between the standard rates the count is exact
// (a 20 ms frame at 44.1 kHz gives 960 samples at 48 kHz every time).
func (r *Resampler) Process(dst, src []int16) int {
	if r.in == r.out {
		return copy(dst, src)
	}
	h := r.taps - 1
	if need := h + len(src); need > len(r.buf) {
		nb := make([]float32, need)
		copy(nb, r.buf[:h])
		r.buf = nb
	}
	x := r.buf[:h+len(src)]
	for i, s := range src {
		x[h+i] = float32(s)
	}
	n := 0
	taps := r.taps
	for ; r.next < len(src); n++ {
		if n < len(dst) {
			c := r.coef[r.phase*taps : r.phase*taps+taps]
			w := x[r.next : r.next+taps]
			w = w[:len(c)]
			// Four running sums (taps is a multiple of 4) keep the
			// multipliers busy; the re-slicing drops bounds checks.
			var a0, a1, a2, a3 float32
			for k := 0; k+3 < len(c); k += 4 {
				cc, ww := c[k:k+4:k+4], w[k:k+4:k+4]
				a0 += cc[0] * ww[0]
				a1 += cc[1] * ww[1]
				a2 += cc[2] * ww[2]
				a3 += cc[3] * ww[3]
			}
			dst[n] = clamp16(float64((a0 + a1) + (a2 + a3)))
		}
		r.phase += r.down
		r.next += r.phase / r.up
		r.phase %= r.up
	}
	n = min(n, len(dst))
	// Keep the newest taps-1 samples as history.
	r.next -= len(src)
	copy(r.buf[:h], x[len(x)-h:])
	return n
}
