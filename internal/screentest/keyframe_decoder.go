package screentest

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"

	"golang.org/x/image/vp8"

	"github.com/openbpclient/bpclient/screen"
)

// KeyframeDecoder is a live.Decoder for the tests over golang.org/x/image's
// VP8 decoder, which decodes keyframes only (FFmpegSource sends nothing
// else). It stands in for screen/vp8's Decoder until that is in this
// build.
type KeyframeDecoder struct {
	d *vp8.Decoder
}

// NewKeyframeDecoder returns a decoder.
func NewKeyframeDecoder() *KeyframeDecoder { return &KeyframeDecoder{d: vp8.NewDecoder()} }

// ErrInterFrame is returned for a frame that is not a keyframe.
var ErrInterFrame = errors.New("not a keyframe (this decoder decodes keyframes only)")

// Decode implements live.Decoder.
func (k *KeyframeDecoder) Decode(data []byte, f *screen.Frame) error {
	if len(data) == 0 || data[0]&0x01 != 0 {
		return ErrInterFrame
	}
	k.d.Init(bytes.NewReader(data), len(data))
	if _, err := k.d.DecodeFrameHeader(); err != nil {
		return fmt.Errorf("vp8 frame header: %w", err)
	}
	img, err := k.d.DecodeFrame()
	if err != nil {
		return fmt.Errorf("vp8 frame: %w", err)
	}
	b := img.Bounds()
	f.Resize(b.Dx(), b.Dy())
	for y := 0; y < b.Dy(); y++ {
		row := f.Pix[y*f.Stride:]
		for x := 0; x < b.Dx(); x++ {
			yi, ci := img.YOffset(b.Min.X+x, b.Min.Y+y), img.COffset(b.Min.X+x, b.Min.Y+y)
			r, g, bl := color.YCbCrToRGB(img.Y[yi], img.Cb[ci], img.Cr[ci])
			i := x * screen.BytesPerPixel
			row[i], row[i+1], row[i+2], row[i+3] = bl, g, r, 0
		}
	}
	return nil
}

// Close implements live.Decoder.
func (k *KeyframeDecoder) Close() {}
