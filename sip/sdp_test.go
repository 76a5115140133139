package sip

import (
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/codec"
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
	offer, err := parseSDP([]byte(baresipOffer))
	if err != nil {
		t.Fatal(err)
	}
	if offer.rtcpPort != 10001 || offer.direction != dirSendRecv || len(offer.dtmf) != 1 {
		t.Fatalf("parsed %+v", offer)
	}
	// PCMA is not offered; PCMU is our first that is.
	neg, err := answerTo(offer, localPayloads(mustCodecs(t, "PCMA", "PCMU", "G722")))
	if err != nil {
		t.Fatal(err)
	}
	if neg.send.name != "PCMU" || neg.send.pt != 0 || neg.dtmf == nil || neg.dtmf.pt != 101 {
		t.Fatalf("negotiated %+v", neg)
	}
	if _, err := answerTo(offer, localPayloads(mustCodecs(t, "PCMA"))); err == nil {
		t.Fatal("answered with a codec the offer lacks")
	}
}

func TestOfferRoundTrip(t *testing.T) {
	ours := localPayloads(mustCodecs(t, "G722", "PCMU", "PCMA"))
	body := buildSDP(sdpParams{sessionID: 1, version: 2, addr: "127.0.0.1", port: 30000, direction: dirSendOnly, payloads: ours, dtmf: dtmfFor(ours)})
	if !strings.Contains(string(body), "m=audio 30000 RTP/AVP 9 0 8 101\r\n") || !strings.Contains(string(body), "a=sendonly") {
		t.Fatalf("offer:\n%s", body)
	}
	parsed, err := parseSDP(body)
	if err != nil {
		t.Fatal(err)
	}
	neg, err := fromAnswer(parsed, ours)
	if err != nil || neg.send.name != "G722" || neg.direction != dirSendOnly || neg.remote.Port != 30000 {
		t.Fatalf("%+v %v", neg, err)
	}
}

func TestAnswerDirection(t *testing.T) {
	for _, c := range []struct{ remote, want, got string }{
		{dirSendRecv, dirSendRecv, dirSendRecv},
		{dirSendOnly, dirSendRecv, dirRecvOnly},
		{dirInactive, dirSendRecv, dirInactive},
		{dirRecvOnly, dirSendRecv, dirSendOnly},
		{dirSendRecv, dirSendOnly, dirSendOnly},
		{dirSendOnly, dirSendOnly, dirInactive},
	} {
		if g := answerDirection(c.remote, c.want); g != c.got {
			t.Errorf("answerDirection(%s, %s) = %s, want %s", c.remote, c.want, g, c.got)
		}
	}
}

func TestParseSDPRejects(t *testing.T) {
	for name, s := range map[string]string{
		"no audio":  "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\n",
		"host name": "v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nc=IN IP4 example.com\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n",
		"garbage":   "hello",
		"too big":   strings.Repeat("a", maxSDP+1),
	} {
		if _, err := parseSDP([]byte(s)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzSDP(f *testing.F) {
	f.Add([]byte(baresipOffer))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n"))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 96 18\r\na=rtpmap:96 opus/48000/2\r\na=rtcp:4009\r\na=inactive\r\n"))
	ours := localPayloads(codec.Available())
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := parseSDP(body)
		if err != nil {
			return
		}
		if m.port < 0 || m.port > 65535 || m.rtcpPort < 0 || m.rtcpPort > 65535 {
			t.Fatalf("ports %d/%d", m.port, m.rtcpPort)
		}
		switch m.direction {
		case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
		default:
			t.Fatalf("direction %q", m.direction)
		}
		neg, err := answerTo(m, ours)
		if err != nil {
			return
		}
		if neg.send.codec == nil || neg.remote == nil || neg.remote.IP == nil {
			t.Fatalf("negotiated without codec or address: %+v", neg)
		}
		if neg.dtmf != nil && neg.dtmf.rate != neg.send.rate {
			t.Fatalf("telephone-event at %d beside a %d Hz codec", neg.dtmf.rate, neg.send.rate)
		}
		// Our answer must parse back to the same choice.
		ans := buildSDP(sdpParams{addr: "127.0.0.1", port: 20000, direction: answerDirection(m.direction, dirSendRecv), payloads: []payload{neg.send}, dtmf: dtmfFor([]payload{neg.send})})
		back, err := parseSDP(ans)
		if err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
		if _, err := fromAnswer(back, []payload{neg.send}); err != nil {
			t.Fatalf("our answer is unusable: %v\n%s", err, ans)
		}
	})
}

func TestJitterBuffer(t *testing.T) {
	j := newJitterBuffer(2, 10)
	// Out of order arrival is reordered; a gap is concealed once.
	for _, s := range []uint16{10, 12, 11, 14} {
		j.push(s, []byte{byte(s)}, time.Now())
	}
	var got []int
	for i := 0; i < 5; i++ {
		p, _, ok, lost := j.pop()
		switch {
		case !ok:
			got = append(got, -1)
		case lost:
			got = append(got, 0)
		default:
			got = append(got, int(p[0]))
		}
	}
	want := []int{10, 11, 12, 0, 14}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("played %v, want %v", got, want)
		}
	}
	if j.concealed != 1 {
		t.Errorf("concealed %d", j.concealed)
	}
	j.push(3, []byte{3}, time.Now()) // late
	if j.late != 1 {
		t.Errorf("late %d", j.late)
	}
	// Sequence wrap.
	j2 := newJitterBuffer(1, 10)
	j2.push(65535, []byte{1}, time.Now())
	j2.push(0, []byte{2}, time.Now())
	if p, _, ok, _ := j2.pop(); !ok || p[0] != 1 {
		t.Fatal("wrap: first")
	}
	if p, _, ok, _ := j2.pop(); !ok || p[0] != 2 {
		t.Fatal("wrap: second")
	}
}

func TestEModel(t *testing.T) {
	clean := eModelMOS("PCMU", 40, 0)
	lossy := eModelMOS("PCMU", 40, 5)
	slow := eModelMOS("PCMU", 400, 0)
	if clean < 4.3 || lossy >= clean || slow >= clean || lossy < 1 {
		t.Fatalf("clean %.2f lossy %.2f slow %.2f", clean, lossy, slow)
	}
	thr := Thresholds{}.withDefaults()
	if w := thr.warnings(QualityReport{RTTMs: 300, JitterMs: 5, LossPct: 3}); len(w) != 2 {
		t.Fatalf("warnings %v", w)
	}
}

func BenchmarkParseAndAnswerSDP(b *testing.B) {
	ours := localPayloads(codec.Available())
	body := []byte(baresipOffer)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m, err := parseSDP(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := answerTo(m, ours); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJitterBufferPushPop(b *testing.B) {
	j := newJitterBuffer(1, 10)
	p := make([]byte, 160)
	now := time.Now()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		j.push(uint16(i), p, now)
		j.pop()
	}
}
