package main

import (
	"io"

	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/record"
	"github.com/openbpclient/bpclient/screen/vp8"
	"github.com/openbpclient/bpclient/screen/webm"
)

// vp8Encoder is screen/vp8's encoder as the recorder sees it. It scales
// while it converts (screen/vp8's doc), so Parts.Scale stays nil.
type vp8Encoder struct{ e *vp8.Encoder }

func (v vp8Encoder) Encode(f *screen.Frame, forceKey bool) ([]byte, bool, error) {
	p, err := v.e.Encode(f, forceKey)
	return p.Data, p.Key, err
}

func (v vp8Encoder) Close() { v.e.Close() }

func newVP8Encoder(width, height, fps int) (record.Encoder, error) {
	e, err := vp8.NewEncoder(vp8.EncoderConfig{Width: width, Height: height, FPS: fps})
	if err != nil {
		return nil, err
	}
	return vp8Encoder{e}, nil
}

// screenParts are the recorder's encoder and muxer, or why this build
// has none.
func screenParts() (record.Parts, error) {
	if !vp8.Available() {
		return record.Parts{}, vp8.ErrUnavailable
	}
	return record.Parts{NewEncoder: newVP8Encoder, NewSegment: newWebMSegment}, nil
}

func newWebMSegment(w io.Writer, width, height int) (record.Segment, error) {
	return webm.NewSegmentWriter(w, width, height)
}
