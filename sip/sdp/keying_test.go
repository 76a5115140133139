package sdp

import (
	"errors"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/sdes"
)

const plainAudio = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

func mustParse(t *testing.T, body string) Description {
	t.Helper()
	d, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestSecureSDP: the SDP we write carries the profile and a=crypto lines.
func TestSecureSDP(t *testing.T) {
	k, _ := sdes.New(1, sdes.AEADAES128GCM, nil)
	body := string(Build(Local{SessionID: 1, Version: 1, Addr: "127.0.0.1", Port: 4000, Direction: SendRecv,
		Payloads: LocalPayloads(mustCodecs(t, "PCMU")), Proto: "RTP/SAVP", Crypto: []string{k.Marshal()}}))
	if !strings.Contains(body, "m=audio 4000 RTP/SAVP 0\r\n") || !strings.Contains(body, "a=crypto:"+k.Marshal()+"\r\n") {
		t.Fatalf("sdp:\n%s", body)
	}
	back, err := Parse([]byte(body))
	if err != nil || len(back.Crypto) != 1 || back.Crypto[0] != k.Marshal() {
		t.Fatalf("parse back: %v %v", err, back.Crypto)
	}
}

// TestSDESOfferAnswer: an answer takes the offerer's first suite we
// accept with a fresh key of ours; the offerer accepts only an answer
// naming a tag and suite it offered; a re-offer keeps our key.
func TestSDESOfferAnswer(t *testing.T) {
	ours, err := sdes.Offer([]string{sdes.AEADAES128GCM, sdes.AESCM128HMACSHA180}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var offer strings.Builder
	offer.WriteString(strings.Replace(plainAudio, "RTP/AVP", ProtoSAVP, 1))
	for _, c := range ours {
		offer.WriteString("a=crypto:" + c.Marshal() + "\r\n")
	}
	keys, err := AnswerSDES(mustParse(t, offer.String()), []string{sdes.AESCM128HMACSHA180})
	if err != nil {
		t.Fatal(err)
	}
	if keys.Remote.Tag != 2 || keys.Local.Tag != 2 || keys.Local.Suite != sdes.AESCM128HMACSHA180 ||
		string(keys.Local.KeyMaterial()) == string(keys.Remote.KeyMaterial()) {
		t.Fatalf("answered %v / %v", keys.Remote, keys.Local)
	}
	if _, err := AnswerSDES(mustParse(t, offer.String()), []string{sdes.AEADAES256GCM}); !errors.Is(err, ErrNotSecure) {
		t.Fatalf("no common suite: %v", err)
	}

	answer := mustParse(t, plainAudio+"a=crypto:"+keys.Local.Marshal()+"\r\n")
	settled, err := AcceptSDES(ours, answer)
	if err != nil {
		t.Fatal(err)
	}
	if settled.Local.Tag != 2 || string(settled.Local.KeyMaterial()) != string(ours[1].KeyMaterial()) ||
		string(settled.Remote.KeyMaterial()) != string(keys.Local.KeyMaterial()) {
		t.Fatalf("accepted %v / %v", settled.Local, settled.Remote)
	}
	if _, err := AcceptSDES(ours, mustParse(t, plainAudio)); !errors.Is(err, ErrNotSecure) || !strings.Contains(err.Error(), "no SRTP key") {
		t.Fatalf("plain answer: %v", err)
	}
	stranger, _ := sdes.New(7, sdes.AEADAES128GCM, nil)
	if _, err := AcceptSDES(ours, mustParse(t, plainAudio+"a=crypto:"+stranger.Marshal()+"\r\n")); !errors.Is(err, ErrNotSecure) || !strings.Contains(err.Error(), "not offered") {
		t.Fatalf("unknown tag: %v", err)
	}

	// The peer re-offers with a new key under another tag: we answer with
	// our key under that tag and take theirs.
	rekeyed, _ := sdes.New(5, sdes.AESCM128HMACSHA180, nil)
	again, err := ReofferSDES(settled.Local, mustParse(t, plainAudio+"a=crypto:"+rekeyed.Marshal()+"\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if again.Local.Tag != 5 || string(again.Local.KeyMaterial()) != string(settled.Local.KeyMaterial()) ||
		string(again.Remote.KeyMaterial()) != string(rekeyed.KeyMaterial()) {
		t.Fatalf("re-offer %v / %v", again.Local, again.Remote)
	}
	other, _ := sdes.New(1, sdes.AEADAES128GCM, nil)
	_, err = ReofferSDES(settled.Local, mustParse(t, plainAudio+"a=crypto:"+other.Marshal()+"\r\n"))
	if !errors.Is(err, ErrNotSecure) || !strings.Contains(err.Error(), sdes.AESCM128HMACSHA180) {
		t.Fatalf("re-offer of another suite: %v", err)
	}
}

// TestKeyingErrorsHoldNoKey: what a refusal says names the reason, never
// the key of a line it read.
func TestKeyingErrorsHoldNoKey(t *testing.T) {
	ours, _ := sdes.Offer([]string{sdes.AEADAES128GCM}, nil)
	k, _ := sdes.New(1, sdes.AESCM128HMACSHA132, nil)
	inline := k.Marshal()[strings.Index(k.Marshal(), "inline:")+len("inline:"):]
	body := plainAudio + "a=crypto:" + k.Marshal() + "\r\n"
	_, err1 := AnswerSDES(mustParse(t, body), []string{sdes.AEADAES128GCM})
	_, err2 := AcceptSDES(ours, mustParse(t, body))
	_, err3 := ReofferSDES(ours[0], mustParse(t, body))
	for i, err := range []error{err1, err2, err3} {
		if err == nil {
			t.Fatalf("%d: accepted", i)
		}
		if strings.Contains(err.Error(), inline) {
			t.Fatalf("%d: the error carries the key: %v", i, err)
		}
	}
}

// TestDTLSOfferAnswer: the roles of RFC 5763 §5 from a=setup, the
// fingerprints of either level, and refusals wrapping ErrNotSecure.
func TestDTLSOfferAnswer(t *testing.T) {
	cert, err := dtlssrtp.NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	fp := cert.Fingerprint().String()
	dtlsAudio := strings.Replace(plainAudio, "RTP/AVP", ProtoDTLS, 1)
	sessionFP := strings.Replace(dtlsAudio, "t=0 0\r\n", "t=0 0\r\na=fingerprint:"+fp+"\r\n", 1)
	for _, tc := range []struct {
		name, body string
		client     bool
		setup      dtlssrtp.Setup
	}{
		{"answer active", dtlsAudio + "a=setup:active\r\na=fingerprint:" + fp + "\r\n", false, dtlssrtp.SetupPassive},
		{"answer passive", dtlsAudio + "a=setup:passive\r\na=fingerprint:" + fp + "\r\n", true, dtlssrtp.SetupActive},
		{"session fingerprint, no setup", sessionFP, false, dtlssrtp.SetupPassive},
	} {
		p, err := AcceptDTLS(mustParse(t, tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Client != tc.client || p.Setup != tc.setup || len(p.Remote) != 1 || p.Remote[0].String() != fp {
			t.Fatalf("%s: %+v", tc.name, p)
		}
	}
	for name, body := range map[string]string{
		"no fingerprint":       dtlsAudio + "a=setup:active\r\n",
		"unreadable":           dtlsAudio + "a=setup:active\r\na=fingerprint:sha-256 zz\r\n",
		"answer says actpass":  dtlsAudio + "a=setup:actpass\r\na=fingerprint:" + fp + "\r\n",
		"answer says nonsense": dtlsAudio + "a=setup:sideways\r\na=fingerprint:" + fp + "\r\n",
	} {
		if _, err := AcceptDTLS(mustParse(t, body)); !errors.Is(err, ErrNotSecure) {
			t.Errorf("%s: %v", name, err)
		}
	}

	offer := mustParse(t, dtlsAudio+"a=setup:actpass\r\na=fingerprint:sha-1 zz\r\na=fingerprint:"+fp+"\r\n")
	p, err := AnswerDTLS(offer)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Client || p.Setup != dtlssrtp.SetupActive || len(p.Remote) != 1 || p.Remote[0].String() != fp {
		t.Fatalf("answer to actpass: %+v", p)
	}
	if _, err := AnswerDTLS(mustParse(t, dtlsAudio+"a=setup:holdconn\r\na=fingerprint:"+fp+"\r\n")); !errors.Is(err, ErrNotSecure) {
		t.Fatalf("holdconn offer: %v", err)
	}

	fps, err := ReofferDTLS(offer)
	if err != nil || len(fps) != 1 || fps[0].String() != fp {
		t.Fatalf("re-offer: %v %v", fps, err)
	}
	if _, err := ReofferDTLS(mustParse(t, plainAudio)); !errors.Is(err, ErrNotSecure) || !strings.Contains(err.Error(), "no DTLS fingerprint") {
		t.Fatalf("plain re-offer: %v", err)
	}
}
