//go:build cgo && g729

package codec

import "github.com/openbpclient/bpclient/internal/bcg729"

// G.729 (ITU-T G.729 Annex A) through bcg729 (internal/bcg729): 10 ms
// frames of 80 samples at 8 kHz into 10 bytes, 8 kbit/s. We send without
// VAD (annexb=no) and accept Annex B SID frames (2 bytes after the voice
// frames, RFC 3551 4.5.6) on receipt. Built only with cgo and the "g729"
// build tag, so only test builds have it (bcg729 is GPL-3.0).

// G729 is the G.729 codec, present only in builds with cgo and -tags g729.
var G729 Codec = g729Codec{}

func init() { register(prefG729, G729) }

type g729Codec struct{}

func (g729Codec) Info() Info {
	return Info{Name: "G729", PayloadType: 18, Static: true, ClockRate: 8000, SampleRate: 8000, Channels: 1,
		FMTP: "annexb=no"}
}

// The error checks keep a failed constructor from handing back a non-nil
// interface that holds a nil pointer.
func (g729Codec) NewEncoder() (Encoder, error) {
	e, err := bcg729.NewEncoder(false)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (g729Codec) NewDecoder() (Decoder, error) {
	d, err := bcg729.NewDecoder()
	if err != nil {
		return nil, err
	}
	return d, nil
}
