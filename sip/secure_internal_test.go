package sip

import (
	"errors"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/sip/sdes"
	"github.com/openbpclient/bpclient/sip/sdp"
)

func securePhone(t *testing.T, suites ...string) *Phone {
	t.Helper()
	p, err := New(Config{Mode: ModeSecure, Server: "127.0.0.1:5061", Username: "1001", Codecs: []string{"PCMU"}, SRTPSuites: suites})
	if err != nil {
		t.Fatal(err)
	}
	p.localIP = "127.0.0.1"
	return p
}

func pcmu(t *testing.T) []sdp.Payload {
	c, err := codec.Lookup("PCMU", 8000)
	if err != nil {
		t.Fatal(err)
	}
	return sdp.LocalPayloads([]codec.Codec{c})
}

const plainAnswer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

// TestSecureAnswerWithoutCrypto: our secure offer carries RTP/SAVP and a
// fresh a=crypto per suite; an answer without a=crypto (or with a tag we
// did not offer) cannot be accepted and says why.
func TestSecureAnswerWithoutCrypto(t *testing.T) {
	p := securePhone(t, sdes.AEADAES128GCM, sdes.AESCM128HMACSHA180)
	c := p.newCall(outbound, "x", "sip:1002@127.0.0.1")
	c.offered = pcmu(t)
	if err := c.offerCrypto(); err != nil {
		t.Fatal(err)
	}
	proto, lines := c.sdpSecurityLocked()
	if proto != "RTP/SAVP" || len(lines) != 2 || !strings.HasPrefix(lines[0], "1 AEAD_AES_128_GCM inline:") {
		t.Fatalf("offer %s %d lines", proto, len(lines))
	}
	first := c.crypto[0].KeyMaterial()

	_, err := c.negotiateAnswer([]byte(plainAnswer))
	if !errors.Is(err, sdp.ErrNotSecure) || !strings.Contains(err.Error(), "no SRTP key") {
		t.Fatalf("plain answer: %v", err)
	}
	other, _ := sdes.New(7, sdes.AEADAES128GCM, nil)
	_, err = c.negotiateAnswer([]byte(plainAnswer + "a=crypto:" + other.Marshal() + "\r\n"))
	if !errors.Is(err, sdp.ErrNotSecure) || !strings.Contains(err.Error(), "not offered") {
		t.Fatalf("unknown tag: %v", err)
	}
	ans, _ := sdes.New(2, sdes.AESCM128HMACSHA180, nil)
	neg, err := c.negotiateAnswer([]byte(plainAnswer + "a=crypto:" + ans.Marshal() + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if neg.SDES == nil || neg.SDES.Local.Suite != sdes.AESCM128HMACSHA180 || c.State().Suite != sdes.AESCM128HMACSHA180 || !c.State().Secure {
		t.Fatalf("settled %+v, state %+v", neg.SDES, c.State())
	}
	if _, lines := c.sdpSecurityLocked(); len(lines) != 1 || !strings.HasPrefix(lines[0], "2 AES_CM_128_HMAC_SHA1_80") {
		t.Fatalf("re-offer lines %v", len(lines))
	}
	// A new call has new keys.
	c2 := p.newCall(outbound, "y", "sip:1002@127.0.0.1")
	_ = c2.offerCrypto()
	if string(c2.crypto[0].KeyMaterial()) == string(first) {
		t.Fatal("a key was reused across calls")
	}
}

// TestSecureOffer: an inbound offer needs a usable a=crypto; the answer
// takes the offerer's first suite we accept, with our own key.
func TestSecureOffer(t *testing.T) {
	p := securePhone(t, sdes.AESCM128HMACSHA180, sdes.AEADAES256GCM)
	offer, err := sdp.Parse([]byte(plainAnswer))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.secureOffer(offer, sdp.Agreement{}); !errors.Is(err, sdp.ErrNotSecure) {
		t.Fatalf("plain offer: %v", err)
	}
	a, _ := sdes.New(1, sdes.AESCM128HMACSHA132, nil)
	b, _ := sdes.New(2, sdes.AEADAES256GCM, nil)
	c, _ := sdes.New(3, sdes.AESCM128HMACSHA180, nil)
	body := strings.Replace(plainAnswer, "RTP/AVP", "RTP/SAVP", 1) + "a=crypto:" + a.Marshal() + "\r\na=crypto:" + b.Marshal() + "\r\na=crypto:" + c.Marshal() + "\r\na=crypto:junk\r\n"
	offer, err = sdp.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if offer.Proto != "RTP/SAVP" {
		t.Fatalf("proto %q", offer.Proto)
	}
	neg, err := p.secureOffer(offer, sdp.Agreement{})
	if err != nil {
		t.Fatal(err)
	}
	if neg.SDES.Remote.Tag != 2 || neg.SDES.Local.Tag != 2 || neg.SDES.Local.Suite != sdes.AEADAES256GCM ||
		string(neg.SDES.Local.KeyMaterial()) == string(b.KeyMaterial()) {
		t.Fatalf("chose %v / %v", neg.SDES.Remote, neg.SDES.Local)
	}
	only32, _ := sdp.Parse([]byte(plainAnswer + "a=crypto:" + a.Marshal() + "\r\n"))
	if _, err := p.secureOffer(only32, sdp.Agreement{}); !errors.Is(err, sdp.ErrNotSecure) || !strings.Contains(err.Error(), "no common SRTP crypto suite") {
		t.Fatalf("no common suite: %v", err)
	}
}
