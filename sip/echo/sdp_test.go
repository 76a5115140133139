package echo

import (
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/sip/sdp"
)

const phoneOffer = "v=0\r\no=bpclient 1 1 IN IP4 127.0.0.1\r\ns=bpclient\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 40000 RTP/AVP 97 8 0 101 102\r\n" +
	"a=rtpmap:97 AMR/8000\r\na=fmtp:97 octet-align=1\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=rtpmap:102 telephone-event/48000\r\na=fmtp:102 0-16\r\n" +
	"a=rtcp:40001\r\na=ptime:20\r\na=%s\r\n"

func TestAnswerMirrorsTheOffer(t *testing.T) {
	for _, tc := range []struct {
		offered, answered string
	}{
		{"sendrecv", "sendrecv"},
		{"sendonly", "recvonly"}, // the caller holds
		{"recvonly", "sendonly"},
		{"inactive", "inactive"},
	} {
		o, err := parseOffer([]byte(strings.Replace(phoneOffer, "%s", tc.offered, 1)))
		if err != nil {
			t.Fatalf("%s: %v", tc.offered, err)
		}
		body, err := buildAnswer(o, answerParams{addr: "127.0.0.1", rtpPort: 5004, rtcpPort: 6000, version: 7})
		if err != nil {
			t.Fatal(err)
		}
		ans := string(body)
		// AMR is not a codec we have: the first one we know is chosen.
		for _, want := range []string{"m=audio 5004 RTP/AVP 8 101 102\r\n", "a=rtpmap:8 PCMA/8000\r\n",
			"a=fmtp:101 0-16\r\n", "a=rtpmap:102 telephone-event/48000\r\n", "a=rtcp:6000\r\n",
			"a=" + tc.answered + "\r\n", "o=echo 1 7 IN IP4 127.0.0.1\r\n", "c=IN IP4 127.0.0.1\r\n"} {
			if !strings.Contains(ans, want) {
				t.Errorf("%s: answer lacks %q:\n%s", tc.offered, want, ans)
			}
		}
	}
}

func TestOfferRefusals(t *testing.T) {
	for name, body := range map[string]string{
		"no known codec": "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
			"m=audio 4000 RTP/AVP 97 101\r\na=rtpmap:97 AMR/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
		"no audio": "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
			"m=video 4000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
		"not sdp":   "INVITE sip:echo@127.0.0.1 SIP/2.0\r\n",
		"too large": strings.Repeat("a", sdp.MaxSize+1),
	} {
		if _, err := parseOffer([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A static payload type needs no rtpmap (RFC 3551).
func TestStaticPayloadType(t *testing.T) {
	o, err := parseOffer([]byte("v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if o.format.Name != "PCMA" || o.format.Rate != 8000 || o.direction != "sendrecv" {
		t.Errorf("%+v", o)
	}
}

// FuzzParseOffer: any body is refused or answered, and an answer names
// the chosen format and reads back as the same offer would.
func FuzzParseOffer(f *testing.F) {
	f.Add([]byte(strings.Replace(phoneOffer, "%s", "sendonly", 1)))
	f.Add([]byte("v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n"))
	f.Add([]byte("v=0\r\nm=audio 0 RTP/AVP 0\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := parseOffer(body)
		if err != nil {
			return
		}
		ans, err := buildAnswer(o, answerParams{addr: "127.0.0.1", rtpPort: 5004, rtcpPort: 5005, version: 1})
		if err != nil {
			t.Fatalf("no answer to an accepted offer: %v", err)
		}
		back, err := parseOffer(ans)
		if err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
		if back.format.Name != o.format.Name || back.format.Rate != o.format.Rate ||
			back.format.PT != o.format.PT {
			t.Fatalf("answer names %+v, offer chose %+v", back.format, o.format)
		}
		if back.direction != sdp.AnswerDirection(o.direction, sdp.SendRecv) {
			t.Fatalf("answer direction %q for offered %q", back.direction, o.direction)
		}
	})
}
