package sdp

import (
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/audio/codec"
)

// TestG729Offer: the default codecs offer G.729 (every build has it now)
// after G.722 and before G.711, as static payload 18 with annexb=no, since
// we send no Annex B.
func TestG729Offer(t *testing.T) {
	ours := LocalPayloads(codec.Available())
	body := string(Build(Local{SessionID: 1, Version: 1, Addr: "127.0.0.1", Port: 30000, Direction: SendRecv,
		Payloads: ours, DTMF: TelephoneEvents(ours)}))
	mline := body[strings.Index(body, "m=audio"):]
	mline = mline[:strings.Index(mline, "\r\n")]
	g722, g729, pcmu := strings.Index(mline, " 9 "), strings.Index(mline, " 18 "), strings.Index(mline, " 0 ")
	if g729 < 0 || g722 > g729 || pcmu < g729 {
		t.Errorf("offer's m= line %q: want G722 (9), then G729 (18), then PCMU (0)", mline)
	}
	if !strings.Contains(body, "a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n") {
		t.Errorf("offer lacks G729/8000 with annexb=no:\n%s", body)
	}
}

// TestG729AnswerAnnexB: whatever the offer says of Annex B (annexb=yes,
// or nothing, which RFC 4856 and RFC 3551 read as yes), our answer says
// annexb=no: we send no SID frames (and decode the peer's, whichever it
// says). An offer without rtpmap for the static type still finds G.729.
func TestG729AnswerAnnexB(t *testing.T) {
	ours := LocalPayloads(mustCodecs(t, "G729"))
	for name, media := range map[string]string{
		"annexb=yes": "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=yes\r\n",
		"absent":     "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n",
		"no rtpmap":  "m=audio 4000 RTP/AVP 18\r\n",
		"annexb=no":  "m=audio 4000 RTP/AVP 18\r\na=fmtp:18 annexb=no\r\n",
	} {
		offer, err := Parse([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" + media))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a, err := Answer(offer, ours)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if a.Send.PT != 18 || a.Send.Name != "G729" || a.Send.FMTP != "annexb=no" {
			t.Errorf("%s: answer sends %+v, want G729 on 18 with annexb=no", name, a.Send)
		}
		body := string(Build(Local{Addr: "127.0.0.1", Port: 30000, Direction: SendRecv, Payloads: []Payload{a.Send}}))
		if !strings.Contains(body, "a=fmtp:18 annexb=no\r\n") {
			t.Errorf("%s: answer lacks annexb=no:\n%s", name, body)
		}
	}
}
