package codec

import "github.com/openbpclient/bpclient/audio/codec/g729"

// G.729 Annex A through audio/codec/g729, our clean-room pure-Go codec
// (MIT, no cgo, so every build and release has it): 10 ms frames of 80
// samples at 8 kHz into 10 bytes, 8 kbit/s. We send without VAD, so our
// SDP says annexb=no (in answers too: RFC 4856 lets either side decline
// Annex B); Annex B SID frames (2 bytes after the voice frames, RFC 3551
// 4.5.6) are decoded whenever a peer sends them, and frames missing
// after one keep the comfort noise going. bcg729 (internal/bcg729) is a
// test-only reference now.

// G729 is the G.729 codec.
var G729 Codec = g729Codec{}

func init() { register(prefG729, G729) }

type g729Codec struct{}

func (g729Codec) Info() Info {
	return Info{Name: "G729", PayloadType: 18, Static: true, ClockRate: 8000, SampleRate: 8000, Channels: 1,
		FMTP: "annexb=no"}
}

func (g729Codec) NewEncoder() (Encoder, error) { return g729.NewEncoder(), nil }

func (g729Codec) NewDecoder() (Decoder, error) { return g729.NewDecoder(), nil }
