package sip

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseReplaces(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want replacesID
		err  bool
	}{
		{in: "425928@bobster.example.org;to-tag=7743;from-tag=6472", want: replacesID{"425928@bobster.example.org", "7743", "6472", false}},
		{in: " abc ; from-tag=f ; TO-TAG=t ;early-only", want: replacesID{"abc", "t", "f", true}},
		{in: "abc;to-tag=t", err: true},
		{in: "abc;from-tag=f", err: true},
		{in: ";to-tag=t;from-tag=f", err: true},
		{in: "a b;to-tag=t;from-tag=f", err: true},
		{in: "abc;to-tag=t\r\nX: y;from-tag=f", err: true},
		{in: "abc;to-tag=t@x;from-tag=f", err: true},
		{in: strings.Repeat("a", 600) + ";to-tag=t;from-tag=f", err: true},
	} {
		got, err := parseReplaces(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !tc.err && got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseReferTo(t *testing.T) {
	rep := replacesID{"12345@192.0.2.1", "abc", "xyz", false}
	for _, tc := range []struct {
		in      string
		uri     string
		replace *replacesID
		err     bool
	}{
		{in: "<sip:1003@127.0.0.1>", uri: "sip:1003@127.0.0.1"},
		{in: "sip:1003@127.0.0.1", uri: "sip:1003@127.0.0.1"},
		{in: "sip:1003@127.0.0.1;method=INVITE", uri: "sip:1003@127.0.0.1"},
		{in: `"Bob" <sip:bob@example.com:5070;transport=tcp>;x=y`, uri: "sip:bob@example.com:5070;transport=tcp"},
		{in: "<sip:1003@127.0.0.1?Replaces=" + url.QueryEscape(rep.String()) + ">", uri: "sip:1003@127.0.0.1", replace: &rep},
		{in: "<sip:1003@127.0.0.1?Subject=hi&replaces=12345%40192.0.2.1%3Bto-tag%3Dabc%3Bfrom-tag%3Dxyz>", uri: "sip:1003@127.0.0.1", replace: &rep},
		{in: "<sip:1003@127.0.0.1?Replaces=12345%3Bto-tag%3Dabc>", err: true},
		{in: "<sip:1003@127.0.0.1?Replaces=%zz>", err: true},
		{in: "<tel:+15551234>", err: true},
		{in: "<sip:1003@127.0.0.1", err: true},
		{in: "", err: true},
	} {
		u, r, err := parseReferTo(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if tc.err {
			continue
		}
		if u.String() != tc.uri {
			t.Errorf("%q: uri %q, want %q", tc.in, u.String(), tc.uri)
		}
		if (r == nil) != (tc.replace == nil) || (r != nil && *r != *tc.replace) {
			t.Errorf("%q: replaces %v, want %v", tc.in, r, tc.replace)
		}
	}
}

func TestParseSipfrag(t *testing.T) {
	for _, tc := range []struct {
		in     string
		code   int
		reason string
		ok     bool
	}{
		{"SIP/2.0 100 Trying\r\n", 100, "Trying", true},
		{"SIP/2.0 200 OK", 200, "OK", true},
		{"SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n", 486, "Busy Here", true},
		{"SIP/2.0 503", 503, "", true},
		{"SIP/2.0 20 OK", 0, "", false},
		{"SIP/2.0 2000 OK", 0, "", false},
		{"SIP/2.0 099 x", 0, "", false},
		{"HTTP/1.1 200 OK", 0, "", false},
		{"", 0, "", false},
	} {
		code, reason, ok := parseSipfrag([]byte(tc.in))
		if code != tc.code || reason != tc.reason || ok != tc.ok {
			t.Errorf("%q: %d %q %v, want %d %q %v", tc.in, code, reason, ok, tc.code, tc.reason, tc.ok)
		}
	}
}

// FuzzReplaces: what parses writes back as a value that parses to the
// same, and carries nothing that could break a header line.
func FuzzReplaces(f *testing.F) {
	f.Add("425928@bobster.example.org;to-tag=7743;from-tag=6472")
	f.Add("a;to-tag=b;from-tag=c;early-only")
	f.Add("a;to-tag=;from-tag=c")
	f.Fuzz(func(t *testing.T, in string) {
		r, err := parseReplaces(in)
		if err != nil {
			return
		}
		out := r.String()
		if strings.ContainsAny(out, "\r\n\x00 \t<>,\"") {
			t.Fatalf("%q writes %q", in, out)
		}
		again, err := parseReplaces(out)
		if err != nil || again != r {
			t.Fatalf("%q -> %q -> %+v, %v", in, out, again, err)
		}
	})
}

// FuzzReferTo: a Refer-To we accept names a SIP URI with a host, and its
// Replaces survives the round trip through the escaped form we send.
func FuzzReferTo(f *testing.F) {
	f.Add("<sip:1003@127.0.0.1?Replaces=12345%40192.0.2.1%3Bto-tag%3Dabc%3Bfrom-tag%3Dxyz>")
	f.Add(`"x" <sips:a@b:5061;transport=tls?Replaces=a%3Bto-tag%3Db%3Bfrom-tag%3Dc&x=y>;p=q`)
	f.Add("sip:a@b;method=INVITE")
	f.Fuzz(func(t *testing.T, in string) {
		u, r, err := parseReferTo(in)
		if err != nil {
			return
		}
		if u.Host == "" || (u.Scheme != "sip" && u.Scheme != "sips") {
			t.Fatalf("%q accepted as %q", in, u.String())
		}
		if r == nil {
			return
		}
		_, r2, err := parseReferTo("<" + u.String() + "?Replaces=" + url.QueryEscape(r.String()) + ">")
		if err != nil || r2 == nil || *r2 != *r {
			t.Fatalf("%q: replaces %+v does not survive: %+v %v", in, r, r2, err)
		}
	})
}

// FuzzSipfrag: a status we accept is a real status code and its reason is
// one printable line.
func FuzzSipfrag(f *testing.F) {
	f.Add([]byte("SIP/2.0 200 OK\r\n"))
	f.Add([]byte("SIP/2.0 100 Trying"))
	f.Fuzz(func(t *testing.T, in []byte) {
		code, reason, ok := parseSipfrag(in)
		if !ok {
			return
		}
		if code < 100 || code > 999 || len(reason) > 64 || strings.ContainsAny(reason, "\r\n\x00") {
			t.Fatalf("%q: %d %q", in, code, reason)
		}
	})
}

func TestDisplaySafe(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"sip:1003@127.0.0.1", 256, "sip:1003@127.0.0.1"},
		{"\"Bank\" <sip:1003@x>\r\nX: y", 256, "\"Bank\" <sip:1003@x>X: y"},
		{"sip:\u202e1008@x", 256, "sip:1008@x"},               // right-to-left override
		{"sip:10\u200b03@x\x00\x7f\u0085", 256, "sip:1003@x"}, // zero width, NUL, DEL, C1
		{"sip:\xff\xfe1003@x", 256, "sip:1003@x"},             // not UTF-8
		{"sip:dé@x", 6, "sip:d"},                              // a cut never splits a rune
		{"sip:dé@x", 7, "sip:dé"},
	} {
		if got := displaySafe(tc.in, tc.max); got != tc.want {
			t.Errorf("displaySafe(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// FuzzDisplaySafe: what a page is given to show is valid UTF-8 within
// the cap, without control or direction-changing characters, and printable
// input under the cap comes through unchanged.
func FuzzDisplaySafe(f *testing.F) {
	f.Add("sip:1003@127.0.0.1", 256)
	f.Add("\"x\" <sip:\u202e1@h>\r\n", 8)
	f.Add("\xff\xfe", 1)
	f.Fuzz(func(t *testing.T, in string, max int) {
		if max < 0 || max > 4096 {
			return
		}
		out := displaySafe(in, max)
		if len(out) > max || !utf8.ValidString(out) {
			t.Fatalf("%q, %d: %q", in, max, out)
		}
		for _, r := range out {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f {
				t.Fatalf("%q, %d: %q keeps %U", in, max, out, r)
			}
		}
		printable := utf8.ValidString(in) && len(in) <= max && !strings.ContainsFunc(in, func(r rune) bool {
			return r < 0x20 || r >= 0x7f
		})
		if printable && out != in {
			t.Fatalf("printable %q became %q", in, out)
		}
	})
}

func TestTransferConsentTimeoutOption(t *testing.T) {
	cfg := Config{Server: "127.0.0.1:9", Domain: "127.0.0.1", Username: "1001", Password: "x", Codecs: []string{"PCMU"}}
	for _, d := range []time.Duration{0, -time.Second} {
		if _, err := New(cfg, WithTransferConsentTimeout(d)); !errors.Is(err, ErrConfig) {
			t.Errorf("timeout %v: %v, want ErrConfig", d, err)
		}
	}
	p, err := New(cfg, WithTransferConsentTimeout(time.Second), WithFollowRemoteTransfers())
	if err != nil {
		t.Fatal(err)
	}
	if p.refers != (referPolicy{follow: true, consentTimeout: time.Second}) {
		t.Errorf("refer policy %+v", p.refers)
	}
}
