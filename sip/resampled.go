package sip

import (
	"fmt"

	"github.com/openbpclient/bpclient/audio/dsp"
)

// A call's devices stay open at the rate they were opened at while it
// rings; a codec agreed at another rate is converted here, in-process,
// instead of reopening them (which would cut off the call's first words).

// resampledSource reads a source at one rate and hands out another.
type resampledSource struct {
	src     PCMSource
	rs      *dsp.Resampler
	in      []int16 // one read from src
	out     []int16 // the resampler's output for one read
	pending []int16 // converted samples not yet handed out
}

func newResampledSource(src PCMSource, from, to int) (*resampledSource, error) {
	rs, err := dsp.NewResampler(from, to)
	if err != nil {
		return nil, fmt.Errorf("microphone at %d Hz for a %d Hz codec: %w", from, to, err)
	}
	return &resampledSource{src: src, rs: rs}, nil
}

// ReadPCM implements PCMSource: it fills buf, reading src in the frames
// that match buf's duration at src's rate.
func (r *resampledSource) ReadPCM(buf []int16) (int, error) {
	for len(r.pending) < len(buf) {
		n := max(1, len(buf)*r.rs.InRate()/r.rs.OutRate())
		if cap(r.in) < n {
			r.in = make([]int16, n)
			r.out = make([]int16, r.rs.MaxOut(n))
		}
		got, err := r.src.ReadPCM(r.in[:n])
		if err != nil {
			return 0, err
		}
		k := r.rs.Process(r.out, r.in[:got])
		r.pending = append(r.pending, r.out[:k]...)
		if got == 0 {
			break
		}
	}
	n := copy(buf, r.pending)
	clear(buf[n:])
	r.pending = r.pending[:copy(r.pending, r.pending[n:])]
	return len(buf), nil
}

// DiscardPCM implements PCMDiscarder.
func (r *resampledSource) DiscardPCM() {
	r.pending = r.pending[:0]
	if d, ok := r.src.(PCMDiscarder); ok {
		d.DiscardPCM()
	}
}

// resampledSink takes one rate and writes another to its sink.
type resampledSink struct {
	dst PCMSink
	rs  *dsp.Resampler
	out []int16
}

func newResampledSink(dst PCMSink, from, to int) (*resampledSink, error) {
	rs, err := dsp.NewResampler(from, to)
	if err != nil {
		return nil, fmt.Errorf("speaker at %d Hz for a %d Hz codec: %w", to, from, err)
	}
	return &resampledSink{dst: dst, rs: rs}, nil
}

// WritePCM implements PCMSink.
func (r *resampledSink) WritePCM(buf []int16) (int, error) {
	if m := r.rs.MaxOut(len(buf)); cap(r.out) < m {
		r.out = make([]int16, m)
	}
	k := r.rs.Process(r.out[:cap(r.out)], buf)
	if _, err := r.dst.WritePCM(r.out[:k]); err != nil {
		return 0, err
	}
	return len(buf), nil
}
