package sip

import (
	"errors"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/audio/codec"
)

// TestCodecEntryAnnexB: "G729;annexb=yes" picks G.729 with DTX,
// "G729" and "G729;annexb=no" the plain one; a bad option is ErrConfig.
func TestCodecEntryAnnexB(t *testing.T) {
	for entry, want := range map[string]codec.Codec{
		"G729": codec.G729, "g729;annexb=yes": codec.G729AnnexB, "G729; AnnexB=YES": codec.G729AnnexB,
		"G729;annexb=no": codec.G729,
	} {
		p := &Phone{cfg: Config{Codecs: []string{entry}}}
		cs, err := p.offerCodecs()
		if err != nil {
			t.Fatalf("%q: %v", entry, err)
		}
		if len(cs) != 1 || cs[0] != want {
			t.Errorf("%q: %v, want %v", entry, cs, want.Info())
		}
	}
	for _, entry := range []string{"G729;annexb=maybe", "PCMU;annexb=yes", "G729;dtx=1", ";annexb=yes"} {
		p := &Phone{cfg: Config{Codecs: []string{entry}}}
		if _, err := p.offerCodecs(); !errors.Is(err, ErrConfig) {
			t.Errorf("%q: %v, want ErrConfig", entry, err)
		}
	}
}

// FuzzCodecEntry: any entry parses or fails with ErrConfig, without
// panicking, and a parsed name has no option in it.
func FuzzCodecEntry(f *testing.F) {
	for _, s := range []string{"G729", "G729;annexb=yes", "G729;annexb=no;", "PCMU;x", ";", "G729;annexb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseCodecEntry(s)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Errorf("%q: %v is not ErrConfig", s, err)
			}
			return
		}
		if strings.Contains(e.name, ";") || e.name == "" {
			t.Errorf("%q parsed to name %q", s, e.name)
		}
	})
}
