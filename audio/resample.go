package audio

import "github.com/openbpclient/bpclient/audio/dsp"

// resampler converts a continuous stream of samples from one rate to
// another, keeping its state between calls.
type resampler interface {
	// process converts src and writes the result to dst, returning how
	// many samples it wrote; dst must hold maxOut(len(src)).
	process(dst, src []int16) int
	maxOut(n int) int
}

// newResampler is audio/dsp's polyphase resampler (aliasing far below
// -60 dB), or linear interpolation for a pair of rates it does not take.
func newResampler(in, out int) resampler {
	if r, err := dsp.NewResampler(in, out); err == nil {
		return dspResampler{r}
	}
	return newLinearResampler(in, out)
}

// dspResampler is dsp's resampler behind this package's interface.
type dspResampler struct{ r *dsp.Resampler }

func (d dspResampler) process(dst, src []int16) int { return d.r.Process(dst, src) }
func (d dspResampler) maxOut(n int) int             { return d.r.MaxOut(n) }

// linearResampler is the fallback for rate pairs dsp does not handle.
type linearResampler struct {
	in, out int
	pos     int64 // position of the next output sample, in units of 1/out of an input sample, relative to prev
	prev    int16
}

func newLinearResampler(in, out int) resampler { return &linearResampler{in: in, out: out} }

func (r *linearResampler) maxOut(n int) int { return n*r.out/r.in + 2 }

func (r *linearResampler) process(dst, src []int16) int {
	n := 0
	in, out := int64(r.in), int64(r.out)
	// Sample k of the stream is prev for k = -1 and src[k] for k >= 0;
	// pos counts from prev in steps of 1/out input samples.
	for {
		i := r.pos / out // whole input samples past prev
		if i >= int64(len(src)) {
			break
		}
		frac := r.pos % out
		a := r.prev
		if i > 0 {
			a = src[i-1]
		}
		b := src[i]
		dst[n] = int16((int64(a)*(out-frac) + int64(b)*frac) / out)
		n++
		r.pos += in
	}
	if len(src) > 0 {
		r.prev = src[len(src)-1]
		r.pos -= int64(len(src)) * out
	}
	return n
}
