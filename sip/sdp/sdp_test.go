package sdp

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/sdes"
)

const baresipOffer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 10000 RTP/AVP 9 0 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"

func mustCodecs(t *testing.T, names ...string) []codec.Codec {
	t.Helper()
	var out []codec.Codec
	for _, n := range names {
		c, err := codec.Lookup(n, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestAnswerUsesOurOrder(t *testing.T) {
	offer, err := Parse([]byte(baresipOffer))
	if err != nil {
		t.Fatal(err)
	}
	if offer.RTCPPort != 10001 || offer.Direction != SendRecv || len(offer.DTMF) != 1 {
		t.Fatalf("parsed %+v", offer)
	}
	// PCMA is not offered; PCMU is our first that is.
	neg, err := Answer(offer, LocalPayloads(mustCodecs(t, "PCMA", "PCMU", "G722")))
	if err != nil {
		t.Fatal(err)
	}
	if neg.Send.Name != "PCMU" || neg.Send.PT != 0 || neg.DTMF == nil || neg.DTMF.PT != 101 {
		t.Fatalf("negotiated %+v", neg)
	}
	if _, err := Answer(offer, LocalPayloads(mustCodecs(t, "PCMA"))); err == nil {
		t.Fatal("answered with a codec the offer lacks")
	}
}

func TestOfferRoundTrip(t *testing.T) {
	ours := LocalPayloads(mustCodecs(t, "G722", "PCMU", "PCMA"))
	body := Build(Local{SessionID: 1, Version: 2, Addr: "127.0.0.1", Port: 30000, Direction: SendOnly, Payloads: ours, DTMF: TelephoneEvents(ours)})
	if !strings.Contains(string(body), "m=audio 30000 RTP/AVP 9 0 8 101\r\n") || !strings.Contains(string(body), "a=sendonly") {
		t.Fatalf("offer:\n%s", body)
	}
	parsed, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	neg, err := ApplyAnswer(parsed, ours)
	if err != nil || neg.Send.Name != "G722" || neg.Direction != SendOnly || neg.Remote.Port != 30000 {
		t.Fatalf("%+v %v", neg, err)
	}
}

// TestBuildNamesAndRTCP: the o= and s= name and an RTCP port apart from
// RTP's+1 (the echo's sockets) are written as given; the phone's SDP
// keeps its name and RTP's port+1.
func TestBuildNamesAndRTCP(t *testing.T) {
	ours := LocalPayloads(mustCodecs(t, "PCMU"))
	echo := string(Build(Local{Name: "echo", SessionID: 1, Version: 7, Addr: "::1", Port: 5004, RTCPPort: 6000, Direction: SendRecv, Payloads: ours}))
	for _, want := range []string{"o=echo 1 7 IN IP6 ::1\r\n", "s=echo\r\n", "c=IN IP6 ::1\r\n", "a=rtcp:6000\r\n"} {
		if !strings.Contains(echo, want) {
			t.Errorf("lacks %q:\n%s", want, echo)
		}
	}
	phone := string(Build(Local{SessionID: 1, Version: 1, Addr: "127.0.0.1", Port: 5004, Direction: SendRecv, Payloads: ours}))
	for _, want := range []string{"o=bpclient 1 1 IN IP4 127.0.0.1\r\n", "s=bpclient\r\n", "a=rtcp:5005\r\n"} {
		if !strings.Contains(phone, want) {
			t.Errorf("lacks %q:\n%s", want, phone)
		}
	}
	back, err := Parse([]byte(echo))
	if err != nil || back.RTCPPort != 6000 || back.Port != 5004 {
		t.Fatalf("parse back: %+v %v", back, err)
	}
}

func TestAnswerDirection(t *testing.T) {
	for _, c := range []struct{ remote, want, got string }{
		{SendRecv, SendRecv, SendRecv},
		{SendOnly, SendRecv, RecvOnly},
		{Inactive, SendRecv, Inactive},
		{RecvOnly, SendRecv, SendOnly},
		{SendRecv, SendOnly, SendOnly},
		{SendOnly, SendOnly, Inactive},
	} {
		if g := AnswerDirection(c.remote, c.want); g != c.got {
			t.Errorf("AnswerDirection(%s, %s) = %s, want %s", c.remote, c.want, g, c.got)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for name, s := range map[string]string{
		"no audio":  "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\n",
		"host name": "v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nc=IN IP4 example.com\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n",
		"garbage":   "hello",
		"too big":   strings.Repeat("a", MaxSize+1),
	} {
		if _, err := Parse([]byte(s)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzSDP: whatever Parse accepts is within bounds, and an offer we
// answer yields an answer that parses back, and is applied, with the
// same codec, payload type and telephone-event.
func FuzzSDP(f *testing.F) {
	f.Add([]byte(baresipOffer))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n"))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 96 18\r\na=rtpmap:96 opus/48000/2\r\na=rtcp:4009\r\na=inactive\r\n"))
	f.Add([]byte(strings.Replace(baresipOffer, "RTP/AVP", ProtoSAVP, 1) +
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n"))
	f.Add([]byte(strings.Replace(baresipOffer, "RTP/AVP", ProtoDTLS, 1) + "a=setup:actpass\r\n" +
		"a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n"))
	ours := LocalPayloads(codec.Available())
	ourKeys, err := sdes.Offer([]string{sdes.AESCM128HMACSHA180}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Parse(body)
		if err != nil {
			return
		}
		if m.Port < 0 || m.Port > 65535 || m.RTCPPort < 0 || m.RTCPPort > 65535 {
			t.Fatalf("ports %d/%d", m.Port, m.RTCPPort)
		}
		switch m.Direction {
		case SendRecv, SendOnly, RecvOnly, Inactive:
		default:
			t.Fatalf("direction %q", m.Direction)
		}
		checkKeying(t, m, ourKeys)
		neg, err := Answer(m, ours)
		if err != nil {
			return
		}
		if neg.Send.Codec == nil || neg.Remote == nil || neg.Remote.IP == nil {
			t.Fatalf("negotiated without codec or address: %+v", neg)
		}
		if neg.DTMF != nil && neg.DTMF.Rate != neg.Send.Rate {
			t.Fatalf("telephone-event at %d beside a %d Hz codec", neg.DTMF.Rate, neg.Send.Rate)
		}
		// Our answer must parse back to the same choice.
		dir := AnswerDirection(m.Direction, SendRecv)
		sent := []Payload{neg.Send}
		ans := Build(Local{Addr: "127.0.0.1", Port: 20000, Direction: dir, Payloads: sent, DTMF: TelephoneEvents(sent)})
		back, err := Parse(ans)
		if err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
		got, err := ApplyAnswer(back, sent)
		if err != nil {
			t.Fatalf("our answer is unusable: %v\n%s", err, ans)
		}
		if !strings.EqualFold(got.Send.Name, neg.Send.Name) || got.Send.Rate != neg.Send.Rate || got.Send.PT != neg.Send.PT ||
			got.Send.Codec != neg.Send.Codec {
			t.Fatalf("answer reads back as %+v, we chose %+v\n%s", got.Send, neg.Send, ans)
		}
		if got.DTMF == nil || got.DTMF.Rate != neg.Send.Rate {
			t.Fatalf("answer's telephone-event %+v beside %d Hz\n%s", got.DTMF, neg.Send.Rate, ans)
		}
		if got.Direction != dir || got.Remote.Port != 20000 || got.RemoteRTCP.Port != 20001 || !got.Remote.IP.IsLoopback() {
			t.Fatalf("answer reads back as %s %v/%v\n%s", got.Direction, got.Remote, got.RemoteRTCP, ans)
		}
	})
}

// checkKeying: whatever an SDP carries, the keying of an answer, of an
// accepted answer and of a re-offer is settled or refused with
// ErrNotSecure, and what is settled is coherent.
func checkKeying(t *testing.T, d Description, ours []sdes.Crypto) {
	t.Helper()
	for name, try := range map[string]func() (*SDESKeys, error){
		"answer":  func() (*SDESKeys, error) { return AnswerSDES(d, sdes.DefaultSuites()) },
		"accept":  func() (*SDESKeys, error) { return AcceptSDES(ours, d) },
		"reoffer": func() (*SDESKeys, error) { return ReofferSDES(ours[0], d) },
	} {
		k, err := try()
		if err != nil {
			if !errors.Is(err, ErrNotSecure) {
				t.Fatalf("sdes %s: %v does not wrap ErrNotSecure", name, err)
			}
			continue
		}
		if k.Local.Suite != k.Remote.Suite || len(k.Local.KeyMaterial()) == 0 || len(k.Remote.KeyMaterial()) == 0 {
			t.Fatalf("sdes %s settled %v / %v", name, k.Local, k.Remote)
		}
	}
	for name, try := range map[string]func() (*DTLSParams, error){"answer": func() (*DTLSParams, error) { return AnswerDTLS(d) },
		"accept": func() (*DTLSParams, error) { return AcceptDTLS(d) }} {
		p, err := try()
		if err != nil {
			if !errors.Is(err, ErrNotSecure) {
				t.Fatalf("dtls %s: %v does not wrap ErrNotSecure", name, err)
			}
			continue
		}
		if len(p.Remote) == 0 || p.Client != (p.Setup == dtlssrtp.SetupActive) ||
			(p.Setup != dtlssrtp.SetupActive && p.Setup != dtlssrtp.SetupPassive) {
			t.Fatalf("dtls %s settled %+v", name, p)
		}
	}
	if _, err := ReofferDTLS(d); err != nil && !errors.Is(err, ErrNotSecure) {
		t.Fatalf("dtls re-offer: %v does not wrap ErrNotSecure", err)
	}
}

func BenchmarkParseAndAnswerSDP(b *testing.B) {
	ours := LocalPayloads(codec.Available())
	body := []byte(baresipOffer)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m, err := Parse(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Answer(m, ours); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAnswerCarriesOurFMTP: an answer takes the offerer's payload type
// but our codec's fmtp (what we will send); applying an answer keeps the
// answerer's fmtp beside our codec.
func TestAnswerCarriesOurFMTP(t *testing.T) {
	var ours Payload
	for _, p := range LocalPayloads(codec.Available()) {
		if p.FMTP != "" {
			ours = p
			break
		}
	}
	if ours.Codec == nil {
		t.Skip("no codec with an fmtp in this build (opus and G.729 need -tags opus,g729)")
	}
	body := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 99\r\n" + rtpmapLine(99, ours) + "a=fmtp:99 theirs=1\r\n"
	offer, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Answer(offer, []Payload{ours})
	if err != nil {
		t.Fatal(err)
	}
	if a.Send.PT != 99 || a.Send.FMTP != ours.FMTP || a.Send.Codec != ours.Codec {
		t.Fatalf("answer sends %+v, ours is %+v", a.Send, ours)
	}
	applied, err := ApplyAnswer(offer, []Payload{ours})
	if err != nil {
		t.Fatal(err)
	}
	if applied.Send.PT != 99 || applied.Send.FMTP != "theirs=1" || applied.Send.Codec != ours.Codec {
		t.Fatalf("applied answer sends %+v", applied.Send)
	}
}

func rtpmapLine(pt int, p Payload) string {
	if p.Channels > 1 {
		return fmt.Sprintf("a=rtpmap:%d %s/%d/%d\r\n", pt, p.Name, p.Rate, p.Channels)
	}
	return fmt.Sprintf("a=rtpmap:%d %s/%d\r\n", pt, p.Name, p.Rate)
}
