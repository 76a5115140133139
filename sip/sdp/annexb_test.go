package sdp

import (
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/audio/codec"
)

func parseMedia(t *testing.T, media string) Description {
	t.Helper()
	d, err := Parse([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" + media))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAnnexBOffer: a phone configured for Annex B offers annexb=yes.
func TestAnnexBOffer(t *testing.T) {
	ours := LocalPayloads([]codec.Codec{codec.G729AnnexB})
	body := string(Build(Local{Addr: "127.0.0.1", Port: 30000, Direction: SendRecv, Payloads: ours}))
	if !strings.Contains(body, "a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=yes\r\n") {
		t.Errorf("offer lacks G729/8000 with annexb=yes:\n%s", body)
	}
}

// TestAnnexBAnswer: with Annex B allowed on our side, an offer with
// annexb=yes or without the parameter (RFC 4856: yes) gets annexb=yes
// and DTX; an offer with annexb=no gets annexb=no and no DTX.
func TestAnnexBAnswer(t *testing.T) {
	ours := LocalPayloads([]codec.Codec{codec.G729AnnexB})
	for name, c := range map[string]struct {
		media string
		dtx   bool
	}{
		"annexb=yes":      {"m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=yes\r\n", true},
		"absent":          {"m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n", true},
		"no rtpmap":       {"m=audio 4000 RTP/AVP 18\r\n", true},
		"annexb=no":       {"m=audio 4000 RTP/AVP 18\r\na=fmtp:18 annexb=no\r\n", false},
		"annexb = NO, …":  {"m=audio 4000 RTP/AVP 18\r\na=fmtp:18 foo=1; annexb = NO\r\n", false},
		"other parameter": {"m=audio 4000 RTP/AVP 18\r\na=fmtp:18 foo=no\r\n", true},
	} {
		a, err := Answer(parseMedia(t, c.media), ours)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := "annexb=no"
		if c.dtx {
			want = "annexb=yes"
		}
		if a.SendsDTX() != c.dtx || a.Send.FMTP != want || a.Send.Name != "G729" {
			t.Errorf("%s: answer sends %s with %q, DTX %v; want %s, DTX %v", name, a.Send.Name, a.Send.FMTP, a.SendsDTX(), want, c.dtx)
		}
	}
}

// TestAnnexBApplyAnswer: having offered annexb=yes, we send DTX when the
// answer says yes or nothing, not when it says no; having offered
// annexb=no, never.
func TestAnnexBApplyAnswer(t *testing.T) {
	for name, c := range map[string]struct {
		offered codec.Codec
		media   string
		dtx     bool
	}{
		"offered yes, answer yes":    {codec.G729AnnexB, "m=audio 4000 RTP/AVP 18\r\na=fmtp:18 annexb=yes\r\n", true},
		"offered yes, answer absent": {codec.G729AnnexB, "m=audio 4000 RTP/AVP 18\r\n", true},
		"offered yes, answer no":     {codec.G729AnnexB, "m=audio 4000 RTP/AVP 18\r\na=fmtp:18 annexb=no\r\n", false},
		"offered no, answer yes":     {codec.G729, "m=audio 4000 RTP/AVP 18\r\na=fmtp:18 annexb=yes\r\n", false},
	} {
		a, err := ApplyAnswer(parseMedia(t, c.media), LocalPayloads([]codec.Codec{c.offered}))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if a.SendsDTX() != c.dtx {
			t.Errorf("%s: DTX %v, want %v", name, a.SendsDTX(), c.dtx)
		}
		enc, err := a.Send.Codec.NewEncoder()
		if err != nil {
			t.Fatal(err)
		}
		if _, isDTX := enc.(codec.DTXEncoder); isDTX != c.dtx {
			t.Errorf("%s: the encoder sends DTX %v, want %v", name, isDTX, c.dtx)
		}
	}
}

// FuzzAnnexB: any fmtp reads as yes or no without panicking, and only
// an annexb parameter of "no" says no.
func FuzzAnnexB(f *testing.F) {
	for _, s := range []string{"", "annexb=no", "annexb=yes", "foo=1;annexb=no", "annexb", ";;=", "ANNEXB = No "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fmtp string) {
		if !annexBAllowed(fmtp) && !strings.Contains(strings.ToLower(fmtp), "annexb") {
			t.Errorf("%q says no without an annexb parameter", fmtp)
		}
	})
}
