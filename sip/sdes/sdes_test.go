package sdes

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pion/srtp/v3"
)

// The example of RFC 4568 §4.
const rfcExample = "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4"

func TestParseRFCExample(t *testing.T) {
	c, err := Parse(rfcExample)
	if err != nil {
		t.Fatal(err)
	}
	if c.Tag != 1 || c.Suite != AESCM128HMACSHA180 || c.Lifetime != "2^20" || c.MKIValue != 1 || c.MKILen != 4 {
		t.Fatalf("parsed %+v", c)
	}
	k, s := c.Key()
	if len(k) != 16 || len(s) != 14 {
		t.Fatalf("key %d salt %d bytes", len(k), len(s))
	}
	if !bytes.Equal(c.MKI(), []byte{0, 0, 0, 1}) {
		t.Fatalf("mki % x", c.MKI())
	}
	if got := c.Marshal(); got != rfcExample {
		t.Fatalf("round trip:\n got %s\nwant %s", got, rfcExample)
	}
	if p, _ := c.Profile(); p != srtp.ProtectionProfileAes128CmHmacSha1_80 {
		t.Fatalf("profile %v", p)
	}
}

func TestSuites(t *testing.T) {
	for _, tc := range []struct {
		name      string
		key, salt int
		prof      srtp.ProtectionProfile
	}{
		{AESCM128HMACSHA180, 16, 14, srtp.ProtectionProfileAes128CmHmacSha1_80},
		{AESCM128HMACSHA132, 16, 14, srtp.ProtectionProfileAes128CmHmacSha1_32},
		{AEADAES128GCM, 16, 12, srtp.ProtectionProfileAeadAes128Gcm},
		{AEADAES256GCM, 32, 12, srtp.ProtectionProfileAeadAes256Gcm},
	} {
		s, ok := LookupSuite(tc.name)
		if !ok || s.KeyLen != tc.key || s.SaltLen != tc.salt || s.Profile != tc.prof {
			t.Errorf("%s: %+v", tc.name, s)
		}
		// pion agrees on the lengths.
		kl, _ := tc.prof.KeyLen()
		sl, _ := tc.prof.SaltLen()
		if kl != tc.key || sl != tc.salt {
			t.Errorf("%s: pion says key %d salt %d", tc.name, kl, sl)
		}
		c, err := New(7, tc.name, nil)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(c.Marshal())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !bytes.Equal(back.KeyMaterial(), c.KeyMaterial()) || back.Tag != 7 || back.Suite != tc.name {
			t.Errorf("%s: round trip differs", tc.name)
		}
		// A context can be made from the keys.
		k, sa := back.Key()
		if _, err := srtp.CreateContext(k, sa, s.Profile); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, ok := LookupSuite("F8_128_HMAC_SHA1_80"); ok {
		t.Error("F8 is not supported")
	}
}

func TestFreshKeys(t *testing.T) {
	a, err := Offer(DefaultSuites(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Offer(DefaultSuites(), nil)
	seen := map[string]bool{}
	for _, c := range append(a, b...) {
		k := string(c.KeyMaterial())
		if seen[k] {
			t.Fatal("a key was made twice")
		}
		seen[k] = true
	}
	for i, c := range a {
		if c.Tag != i+1 {
			t.Errorf("tag %d at %d", c.Tag, i)
		}
	}
}

func TestParseErrors(t *testing.T) {
	key30 := base64.StdEncoding.EncodeToString(make([]byte, 30))
	key44 := base64.StdEncoding.EncodeToString(make([]byte, 44))
	for _, tc := range []struct {
		in   string
		want error
		msg  string
	}{
		{"", ErrSyntax, "want"},
		{"1 AES_CM_128_HMAC_SHA1_80", ErrSyntax, "want"},
		{"x AES_CM_128_HMAC_SHA1_80 inline:" + key30, ErrSyntax, "tag"},
		{"-1 AES_CM_128_HMAC_SHA1_80 inline:" + key30, ErrSyntax, "tag"},
		{"1 AES_CM_128_HMAC_SHA1_80 uri:http://x", ErrSyntax, "inline"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:!!!!", ErrSyntax, "base64"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:", ErrSyntax, "empty key"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key44, ErrSyntax, "44 bytes, want 30"},
		{"1 AEAD_AES_256_GCM inline:" + key30, ErrSyntax, "want 44"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^99", ErrSyntax, "lifetime"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|1:0", ErrSyntax, "mki length"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|256:1", ErrSyntax, "fit"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|1:1|2:1", ErrSyntax, "two MKIs"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^20|2^20", ErrSyntax, "two lifetimes"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|a|b|c", ErrSyntax, "parts"},
		{"1 F8_128_HMAC_SHA1_80 inline:" + key30, ErrUnsupported, "suite"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + ";inline:" + key30, ErrUnsupported, "2 keys"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " UNENCRYPTED_SRTP", ErrUnsupported, "weakens"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " UNAUTHENTICATED_SRTP", ErrUnsupported, "weakens"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " KDR=24", ErrUnsupported, "derivation"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " FOO=1", ErrUnsupported, "FOO"},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " WSH=1", ErrSyntax, "window"},
		{strings.Repeat("1", 2000), ErrSyntax, "bytes"},
	} {
		_, err := Parse(tc.in)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%.60q) = %v, want %v containing %q", tc.in, err, tc.want, tc.msg)
		}
	}
	// Accepted variants.
	for _, in := range []string{
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + strings.TrimRight(key30, "="),
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|1048576",
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " KDR=0 WSH=128 -FUTURE",
		"1   AES_CM_128_HMAC_SHA1_80\tinline:" + key30,
	} {
		if _, err := Parse(in); err != nil {
			t.Errorf("Parse(%q): %v", in, err)
		}
	}
}

func TestRedacted(t *testing.T) {
	c, _ := New(1, AEADAES256GCM, nil)
	b64 := base64.StdEncoding.EncodeToString(c.KeyMaterial())
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprint([]Crypto{c})} {
		if strings.Contains(s, b64) || strings.Contains(s, b64[:12]) {
			t.Errorf("key printed: %s", s)
		}
	}
	if !strings.Contains(c.Marshal(), b64) {
		t.Error("Marshal lacks the key")
	}
	// Errors do not quote keys either.
	_, err := Parse("1 AES_CM_128_HMAC_SHA1_80 inline:" + b64)
	if err == nil || strings.Contains(err.Error(), b64[:12]) {
		t.Errorf("error %v", err)
	}
}

func TestOfferAnswer(t *testing.T) {
	offer, err := Offer([]string{AEADAES256GCM, AESCM128HMACSHA132, AESCM128HMACSHA180}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range offer {
		lines = append(lines, c.Marshal())
	}
	lines = append(lines, "9 F8_128_HMAC_SHA1_80 inline:"+base64.StdEncoding.EncodeToString(make([]byte, 30)))
	parsed, perr := ParseAll(lines)
	if len(parsed) != 3 || !errors.Is(perr, ErrUnsupported) {
		t.Fatalf("ParseAll: %d, %v", len(parsed), perr)
	}
	// The answerer supports only the two HMAC suites: the offerer's first
	// of those wins.
	remote, local, err := Answer(parsed, []string{AESCM128HMACSHA180, AESCM128HMACSHA132}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if remote.Suite != AESCM128HMACSHA132 || remote.Tag != 2 || local.Tag != 2 || local.Suite != AESCM128HMACSHA132 {
		t.Fatalf("chose %v / %v", remote, local)
	}
	if bytes.Equal(remote.KeyMaterial(), local.KeyMaterial()) {
		t.Fatal("answer reused the offer's key")
	}
	ans, _ := Parse(local.Marshal())
	l, r, err := Accept(offer, []Crypto{ans})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(l.KeyMaterial(), offer[1].KeyMaterial()) || !bytes.Equal(r.KeyMaterial(), local.KeyMaterial()) {
		t.Fatal("Accept paired the wrong keys")
	}
	if _, _, err := Answer(parsed, []string{"NONE"}, nil); !errors.Is(err, ErrNoCommonSuite) {
		t.Fatalf("no common suite: %v", err)
	}
	if _, _, err := Accept(offer, nil); !errors.Is(err, ErrNoCommonSuite) {
		t.Fatalf("answer without crypto: %v", err)
	}
	bad := ans
	bad.Tag = 42
	if _, _, err := Accept(offer, []Crypto{bad}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("unknown tag: %v", err)
	}
	bad = ans
	bad.Suite = AEADAES256GCM
	if _, _, err := Accept(offer, []Crypto{bad}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("suite mismatch: %v", err)
	}
}

// FuzzParse: hostile attribute values give an error wrapping ErrSyntax or
// ErrUnsupported, never a panic; whatever parses survives a round trip.
func FuzzParse(f *testing.F) {
	f.Add(rfcExample)
	f.Add("1 AEAD_AES_256_GCM inline:" + base64.StdEncoding.EncodeToString(make([]byte, 44)) + " KDR=0 WSH=64")
	f.Add("2 AES_CM_128_HMAC_SHA1_32 inline:" + base64.StdEncoding.EncodeToString(make([]byte, 30)) + "|2^31|18446744073709551615:128")
	f.Add("1 X inline:a|b|c;inline:d")
	f.Add("999999999 AEAD_AES_128_GCM inline:AAAA|0:1 -X")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := Parse(in)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v wraps neither sentinel", err)
			}
			return
		}
		if _, err := c.Profile(); err != nil {
			t.Fatalf("parsed with no profile: %v", err)
		}
		k, s := c.Key()
		if k == nil || s == nil {
			t.Fatal("parsed without a key")
		}
		_ = c.MKI()
		back, err := Parse(c.Marshal())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", c.Marshal(), err)
		}
		if !bytes.Equal(back.KeyMaterial(), c.KeyMaterial()) || back.Tag != c.Tag || back.Suite != c.Suite ||
			back.MKIValue != c.MKIValue || back.MKILen != c.MKILen || back.Lifetime != c.Lifetime {
			t.Fatalf("round trip differs: %q", c.Marshal())
		}
	})
}
