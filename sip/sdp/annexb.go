package sdp

import (
	"strings"

	"github.com/openbpclient/bpclient/audio/codec"
)

// G.729 Annex B (VAD, DTX and comfort noise) is negotiated with the
// fmtp parameter annexb (RFC 4856 2.1.9, RFC 3551 4.5.6): "annexb=no"
// declines it, and a missing parameter means yes. Either side may
// decline, so DTX is sent only when both allow it; a side that declines
// still decodes SID frames (our decoder always does).

// annexBAllowed reads fmtp's annexb parameter: false only for an
// explicit "no".
func annexBAllowed(fmtp string) bool {
	for param := range strings.SplitSeq(fmtp, ";") {
		name, value, _ := strings.Cut(param, "=")
		if strings.EqualFold(strings.TrimSpace(name), "annexb") {
			return !strings.EqualFold(strings.TrimSpace(value), "no")
		}
	}
	return true
}

// settleAnnexB completes a G.729 agreement: with a codec of ours that
// sends with DTX (codec.DTXCodec), Annex B stays only when the peer's
// fmtp allows it too; otherwise send takes the codec without DTX and
// its annexb=no. Other codecs are left alone.
func settleAnnexB(send *Payload, theirs string) {
	dc, ok := send.Codec.(codec.DTXCodec)
	if !ok || !strings.EqualFold(send.Name, "G729") || annexBAllowed(theirs) {
		return
	}
	send.Codec = dc.WithoutDTX()
	send.FMTP = send.Codec.Info().FMTP
}

// SendsDTX reports whether the agreement sends with discontinuous
// transmission (G.729 Annex B agreed by both sides).
func (a Agreement) SendsDTX() bool {
	_, ok := a.Send.Codec.(codec.DTXCodec)
	return ok
}
