package support

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestScrubRemovesSecrets(t *testing.T) {
	in := strings.Join([]string{
		`Authorization: Digest username="4915550101", realm="127.0.0.1", nonce="abc", uri="sip:127.0.0.1", response="0123456789abcdef0123456789abcdef"`,
		`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31|1:1`,
		`{"level":"debug","password":"pw-Hidden-1","token":"tok-123"}`,
		"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkey\n-----END EC PRIVATE KEY-----",
		`https://upload.example.com/x?token=sekrit&name=a`,
		`{"msg":"Authorization: Digest username=\"1001\", response=\"fedcba9876543210fedcba9876543210\""}`,
	}, "\n")
	out := Scrubber{}.Scrub(in)
	for _, s := range []string{"0123456789abcdef0123456789abcdef", "WVNfX19zZW1jdGwg", "pw-Hidden-1", "tok-123", "MHcCAQEEIBkey", "sekrit", "fedcba9876543210"} {
		if strings.Contains(out, s) {
			t.Errorf("scrubbed text holds %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "4915550101") {
		t.Errorf("numbers masked without MaskNumbers:\n%s", out)
	}
}

func TestScrubMasksNumbers(t *testing.T) {
	in := `{"time":"2026-12-03T15:32:48.123Z","to":"1002","msg":"call to sip:4915550102@127.0.0.1:5061 from tel:+49 155 50101","pid":42}`
	out := Scrubber{MaskNumbers: true}.Scrub(in)
	for _, s := range []string{"1002", "4915550102", "155 50101"} {
		if strings.Contains(out, s) {
			t.Errorf("masked text holds %q:\n%s", s, out)
		}
	}
	for _, s := range []string{"2026-12-03T15:32:48.123Z", "127.0.0.1:5061", `"pid":42`} {
		if !strings.Contains(out, s) {
			t.Errorf("masking lost %q:\n%s", s, out)
		}
	}
}

// FuzzScrub: whatever surrounds them, an SDES key and a digest response
// never survive the scrubber.
func FuzzScrub(f *testing.F) {
	f.Add("x ", " y", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3")
	f.Add(`{"m":"`, `"}`, "0123456789abcdef0123456789abcdef")
	f.Fuzz(func(t *testing.T, before, after, secret string) {
		// Keys and responses are base64 or hex: no spaces, quotes or
		// separators.
		if len(secret) < 8 || strings.ContainsAny(secret, "\"',;\\|") || strings.IndexFunc(secret, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
		}) >= 0 {
			return
		}
		for _, in := range []string{before + "inline:" + secret + after, before + `response="` + secret + `"` + after} {
			out := Scrubber{MaskNumbers: true}.Scrub(in)
			if strings.Contains(out, "inline:"+secret) || strings.Contains(out, `response="`+secret) {
				t.Errorf("%q scrubbed to %q", in, out)
			}
		}
	})
}
