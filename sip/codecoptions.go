package sip

import (
	"fmt"
	"strings"

	"github.com/openbpclient/bpclient/audio/codec"
)

// A Config.Codecs entry is a codec's name, optionally followed by
// options after semicolons, as in an fmtp: "G729;annexb=yes" offers
// G.729 with Annex B (VAD, DTX and comfort noise: SID frames or nothing
// in silence, once the peer agrees too). Annex B is off by default,
// as before: an agent's PBX may count a silent stream as a dead call.

// codecEntry is one parsed Config.Codecs entry.
type codecEntry struct {
	name   string
	annexB *bool // nil: the codec's default
}

// parseCodecEntry reads "NAME[;option=value...]".
func parseCodecEntry(s string) (codecEntry, error) {
	name, opts, _ := strings.Cut(s, ";")
	e := codecEntry{name: strings.TrimSpace(name)}
	if e.name == "" {
		return e, fmt.Errorf("%w: codec entry %q has no name", ErrConfig, s)
	}
	if opts == "" {
		return e, nil
	}
	for opt := range strings.SplitSeq(opts, ";") {
		key, value, _ := strings.Cut(opt, "=")
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.ToLower(strings.TrimSpace(value))
		switch {
		case key == "annexb" && strings.EqualFold(e.name, "G729") && (value == "yes" || value == "no"):
			on := value == "yes"
			e.annexB = &on
		case key == "annexb" && strings.EqualFold(e.name, "G729"):
			return e, fmt.Errorf("%w: codec %q: annexb must be yes or no", ErrConfig, s)
		default:
			return e, fmt.Errorf("%w: codec %q: unknown option %q", ErrConfig, s, key)
		}
	}
	return e, nil
}

// withOptions is c as the entry's options want it: G.729 with or without
// Annex B's DTX.
func (e codecEntry) withOptions(c codec.Codec) codec.Codec {
	if e.annexB == nil {
		return c
	}
	dc, isDTX := c.(codec.DTXCodec)
	switch {
	case *e.annexB && c == codec.G729:
		return codec.G729AnnexB
	case !*e.annexB && isDTX:
		return dc.WithoutDTX()
	}
	return c
}
