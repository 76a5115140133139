package codec

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrUnknown is returned by Lookup for a codec this build does not have.
var ErrUnknown = errors.New("codec not available in this build")

// Preference orders codecs for an SDP offer: wideband first, then G.729
// (narrowband but a twelfth of G.711's bit rate, what trunks that offer
// it want), then G.711.
const (
	prefOpus = 10
	prefG722 = 20
	prefG729 = 25
	prefPCMU = 30
	prefPCMA = 40
)

type entry struct {
	pref  int
	codec Codec
}

// registry is listed at its first use, not by initialisers (which run in
// every process that links the package: BENCHMARKS.md, the idle agent's
// memory): the pure-Go codecs always, the cgo one (opus.go) only when its
// build tag is set.
var registry struct {
	once    sync.Once
	entries []entry
}

// entries are the codecs of this build, in preference order.
func entries() []entry {
	registry.once.Do(func() {
		e := append([]entry{{prefG722, G722}, {prefG729, G729}, {prefPCMU, PCMU}, {prefPCMA, PCMA}}, cgoCodecs()...)
		sort.SliceStable(e, func(i, j int) bool { return e[i].pref < e[j].pref })
		registry.entries = e
	})
	return registry.entries
}

// Available lists the audio codecs compiled into this build, in the order
// an offer should list them. Opus appears only when built with cgo and
// its tag (see the package documentation).
func Available() []Codec {
	reg := entries()
	out := make([]Codec, len(reg))
	for i, e := range reg {
		out[i] = e.codec
	}
	return out
}

// Lookup finds an audio codec by its SDP encoding name, case-insensitively
// ("PCMU", "pcma", "G722", "opus", "G729"). A clockRate of 0 matches any
// rate; otherwise it must equal the codec's RTP clock rate.
func Lookup(name string, clockRate int) (Codec, error) {
	for _, e := range entries() {
		info := e.codec.Info()
		if strings.EqualFold(info.Name, name) && (clockRate == 0 || clockRate == info.ClockRate) {
			return e.codec, nil
		}
	}
	if clockRate != 0 {
		return nil, fmt.Errorf("lookup %s/%d: %w", name, clockRate, ErrUnknown)
	}
	return nil, fmt.Errorf("lookup %s: %w", name, ErrUnknown)
}

// Concealer is implemented by decoders that can fill a lost frame with
// concealment (Opus, G.729). len(dst) is the frame to fill, in samples at
// the codec's SampleRate. Callers without one play silence instead.
type Concealer interface {
	Conceal(dst []int16) (int, error)
}

// DTXEncoder is implemented by encoders with discontinuous transmission
// (G.729 Annex B): Encode takes one codec frame of DTXFrame's samples and
// gives a voice frame of voiceBytes, a shorter SID frame (which may only
// end a packet, RFC 3551 4.5.6) or nothing (the peer keeps its comfort
// noise). The sender packs the frames into packets.
type DTXEncoder interface {
	Encoder
	DTXFrame() (samples, voiceBytes int)
}

// ComfortNoiser is implemented by decoders of codecs with discontinuous
// transmission: InComfortNoise reports whether the last payload decoded
// ended in comfort noise, so that the frames that do not come next are
// the sender's silence, to fill with more of it, rather than losses.
// PayloadSamples is the samples a payload decodes to (a SID frame
// counts as one frame), which place it on the stream's timeline.
type ComfortNoiser interface {
	InComfortNoise() bool
	PayloadSamples(payload []byte) int
}

// DTXCodec is implemented by a codec variant that sends with DTX; the
// negotiation takes WithoutDTX when the peer does not accept it.
type DTXCodec interface {
	Codec
	WithoutDTX() Codec
}
