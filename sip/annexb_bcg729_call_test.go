//go:build cgo && g729

package sip_test

import (
	"testing"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/internal/bcg729"
	"github.com/openbpclient/bpclient/sip"
)

// bcg729AnnexBCodec is bcg729 as a far end that accepts Annex B: its
// SDP says annexb=yes, its encoder sends voice only, its decoder (an
// independent implementation) decodes our SID frames.
type bcg729AnnexBCodec struct{ bcg729Codec }

func (bcg729AnnexBCodec) Info() codec.Info {
	info := bcg729Codec{}.Info()
	info.FMTP = "annexb=yes"
	return info
}

func (bcg729AnnexBCodec) NewDecoder() (codec.Decoder, error) {
	d, err := bcg729.NewDecoder()
	if err != nil {
		return nil, err
	}
	return &bcg729DTXDecoder{Decoder: d}, nil
}

// bcg729DTXDecoder tells the media path when bcg729 is in comfort noise,
// as audio/codec's adapter does for ours, and fills the frames not sent
// after a SID with that SID decoded again (bcg729's erasure concealment
// fades the noise out; audio/codec's interop tests drive it the same
// way): the test is of bcg729's decoding of our SIDs.
type bcg729DTXDecoder struct {
	*bcg729.Decoder
	noise   bool
	lastSID [bcg729.SIDBytes]byte
}

func (d *bcg729DTXDecoder) Decode(dst []int16, payload []byte) (int, error) {
	n, err := d.Decoder.Decode(dst, payload)
	if err == nil {
		d.noise = len(payload)%bcg729.FrameBytes == bcg729.SIDBytes
		if d.noise {
			copy(d.lastSID[:], payload[len(payload)-bcg729.SIDBytes:])
		}
	}
	return n, err
}

func (d *bcg729DTXDecoder) Conceal(dst []int16) (int, error) {
	if !d.noise {
		return d.Decoder.Conceal(dst)
	}
	n := 0
	for ; n+bcg729.FrameSamples <= len(dst); n += bcg729.FrameSamples {
		if _, err := d.Decoder.Decode(dst[n:], d.lastSID[:]); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (d *bcg729DTXDecoder) InComfortNoise() bool { return d.noise }

func (d *bcg729DTXDecoder) PayloadSamples(payload []byte) int {
	frames := len(payload) / bcg729.FrameBytes
	if len(payload)%bcg729.FrameBytes == bcg729.SIDBytes {
		frames++
	}
	return frames * bcg729.FrameSamples
}

// TestAnnexBToBcg729: our phone with "G729;annexb=yes" calls a far end
// whose G.729 is bcg729 and says annexb=yes: we send SIDs in the
// silence, and bcg729's decoder makes comfort noise of them at the
// background's level, then the tone again.
func TestAnnexBToBcg729(t *testing.T) {
	t.Parallel()
	r := runAnnexBCall(t, []string{"G729;annexb=yes"}, []string{"G729"}, sip.WithCodecs(bcg729AnnexBCodec{}))
	t.Logf("caller sent %d packets in %v of silence, %d SIDs; bcg729's side: %d frames of comfort noise, %d concealed, loss %.1f%%",
		r.silencePackets, r.silenceWindow, r.sid, r.callee.ComfortNoise, r.callee.Concealed, r.calleeQuality.LossPct)
	if r.sid < 1 || r.silencePackets > int(r.silenceWindow/annexBFrame)/10 {
		t.Errorf("%d SIDs, %d packets in %v of silence: want DTX towards bcg729", r.sid, r.silencePackets, r.silenceWindow)
	}
	if r.calleeQuality.LossPct != 0 {
		t.Errorf("bcg729's side reports %.1f%% loss, want 0", r.calleeQuality.LossPct)
	}
	checkHeardSchedule(t, r)
}
