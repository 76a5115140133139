package live

import (
	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/capture"
	"github.com/openbpclient/bpclient/screen/vp8"
)

// ScreenSource is the CaptureSource of this machine's screen: capture's
// Capturer (every monitor's bounding box, the pointer drawn) and the
// libvpx encoder of screen/vp8. display "" is $DISPLAY. Without vp8 in
// this build (the vpx tag) every stream fails with vp8.ErrUnavailable;
// check vp8.Available first.
func ScreenSource(display string) *CaptureSource {
	return &CaptureSource{
		OpenCapture: func() (Grabber, error) { return capture.Open(capture.Options{Screens: "all", Display: display}) },
		NewEncoder: func(w, h, fps int) (Encoder, error) {
			e, err := vp8.NewEncoder(vp8.EncoderConfig{Width: w, Height: h, FPS: fps})
			if err != nil {
				return nil, err
			}
			return vp8Encoder{e}, nil
		},
		OutputSize: vp8.OutputSize,
	}
}

// vp8Encoder adapts screen/vp8's Encoder to Encoder.
type vp8Encoder struct{ e *vp8.Encoder }

func (v vp8Encoder) Encode(f *screen.Frame, forceKey bool) ([]byte, bool, error) {
	p, err := v.e.Encode(f, forceKey)
	return p.Data, p.Key, err
}

func (v vp8Encoder) Close() { v.e.Close() }

// NewVP8Decoder is screen/vp8's Decoder as a Decoder.
func NewVP8Decoder() (Decoder, error) {
	d, err := vp8.NewDecoder()
	if err != nil {
		return nil, err
	}
	return d, nil
}
