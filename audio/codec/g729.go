package codec

import "github.com/openbpclient/bpclient/audio/codec/g729"

// G.729 Annex A through audio/codec/g729, our clean-room pure-Go codec
// (MIT, no cgo, so every build and release has it): 10 ms frames of 80
// samples at 8 kHz into 10 bytes, 8 kbit/s. G729 sends without VAD and
// says annexb=no (in answers too: RFC 4856 lets either side decline
// Annex B); G729AnnexB, which a phone's configuration must ask for, says
// annexb=yes and, once both sides agree, sends Annex B SID frames or
// nothing in silence (DTXEncoder). Both decode a peer's SID frames (2
// bytes after the voice frames, RFC 3551 4.5.6) whatever was agreed, and
// frames missing after one keep the comfort noise going. bcg729
// (internal/bcg729) is a test-only reference now.

// G729 is the G.729 codec.
var G729 Codec = g729Codec{}

// G729AnnexB is G.729 with Annex B's discontinuous transmission. It is
// not in the registry (Lookup and Available give G729): a phone offers
// it only when configured to (sip.Config.Codecs "G729;annexb=yes"), and
// the SDP negotiation falls back to G729 when the peer declines.
var G729AnnexB Codec = g729DTXCodec{}

type g729Codec struct{}

// g729DTXCodec is G729AnnexB: the same codec, its encoder with DTX.
type g729DTXCodec struct{}

// g729FrameSamples and g729FrameBytes are one 10 ms voice frame.
const (
	g729FrameSamples = g729.FrameSamples
	g729FrameBytes   = g729.FrameBytes
)

func (g729Codec) Info() Info {
	return Info{Name: "G729", PayloadType: 18, Static: true, ClockRate: 8000, SampleRate: 8000, Channels: 1,
		FMTP: "annexb=no"}
}

func (g729Codec) NewEncoder() (Encoder, error) { return g729.NewEncoder(), nil }

func (g729Codec) NewDecoder() (Decoder, error) { return &g729Decoder{Decoder: g729.NewDecoder()}, nil }

func (g729DTXCodec) Info() Info {
	info := G729.Info()
	info.FMTP = "annexb=yes"
	return info
}

func (g729DTXCodec) NewEncoder() (Encoder, error) { return g729DTXEncoder{g729.NewEncoderDTX()}, nil }

func (g729DTXCodec) NewDecoder() (Decoder, error) { return G729.NewDecoder() }

// WithoutDTX is plain G729, for a peer that declines Annex B.
func (g729DTXCodec) WithoutDTX() Codec { return G729 }

// g729DTXEncoder is g729's DTX encoder as a DTXEncoder.
type g729DTXEncoder struct{ *g729.Encoder }

func (g729DTXEncoder) DTXFrame() (samples, voiceBytes int) { return g729FrameSamples, g729FrameBytes }

// g729Decoder remembers whether the last payload ended in a SID frame:
// the comfort noise then goes on through the frames that do not come.
type g729Decoder struct {
	*g729.Decoder
	noise bool
}

func (d *g729Decoder) Decode(dst []int16, payload []byte) (int, error) {
	n, err := d.Decoder.Decode(dst, payload)
	if err == nil {
		d.noise = len(payload)%g729FrameBytes == g729.SIDBytes
	}
	return n, err
}

func (d *g729Decoder) InComfortNoise() bool { return d.noise }

func (*g729Decoder) PayloadSamples(payload []byte) int {
	frames := len(payload) / g729FrameBytes
	if len(payload)%g729FrameBytes == g729.SIDBytes {
		frames++
	}
	return frames * g729FrameSamples
}
