package sip

import (
	"strings"
	"testing"
)

// RFC 7616 §3.9.1 and RFC 2617 §3.5 give request/response pairs.
func TestDigestVectors(t *testing.T) {
	const rfc7616 = `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=%s, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
	cases := []struct {
		chal, user, pass, method, uri, cnonce, want string
	}{
		{strings.Replace(rfc7616, "%s", "MD5", 1), "Mufasa", "Circle of Life", "GET", "/dir/index.html",
			"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", `response="8ca523f5e9506fed4657c9700eebdbec"`},
		{strings.Replace(rfc7616, "%s", "SHA-256", 1), "Mufasa", "Circle of Life", "GET", "/dir/index.html",
			"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", `response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"`},
		{`Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
			"Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b", `response="6629fae49393a05397450978507c4ef1"`},
	}
	for _, c := range cases {
		ch, err := parseChallenge(c.chal)
		if err != nil {
			t.Fatal(err)
		}
		got := credentials{c.user, c.pass}.authorize(ch, c.method, c.uri, 1, c.cnonce)
		if !strings.Contains(got, c.want) {
			t.Errorf("%s: got %s, want %s", ch.algorithm, got, c.want)
		}
		if strings.Contains(got, c.pass) {
			t.Errorf("the password leaked into the header")
		}
		if !strings.Contains(got, `opaque="`) || !strings.Contains(got, "nc=00000001") {
			t.Errorf("missing opaque or nc: %s", got)
		}
	}
}

func TestPickChallengePrefersSHA256(t *testing.T) {
	ch, err := pickChallenge([]string{
		`Digest realm="a", nonce="1", algorithm=MD5, qop="auth"`,
		`Digest realm="a", nonce="2", algorithm=SHA-256, qop="auth"`,
		`Basic realm="x"`,
	})
	if err != nil || ch.algorithm != "SHA-256" || ch.nonce != "2" {
		t.Fatalf("got %+v, %v", ch, err)
	}
	if _, err := pickChallenge([]string{`Digest realm="a", nonce="1", algorithm=MD5-sess`}); err == nil {
		t.Error("MD5-sess accepted")
	}
	if _, err := pickChallenge([]string{`Digest realm="a", nonce="1", qop="auth-int"`}); err == nil {
		t.Error("qop=auth-int only accepted")
	}
	if _, err := pickChallenge([]string{`Digest realm="a"`}); err == nil {
		t.Error("no nonce accepted")
	}
}

func FuzzParseChallenge(f *testing.F) {
	f.Add(`Digest realm="a", nonce="1", algorithm=MD5, qop="auth"`)
	f.Add(`Digest realm="a\"b", nonce="x,y", stale=TRUE, opaque="o"`)
	f.Add(`Digest realm="unterminated`)
	f.Add(`Digest =, ,,`)
	f.Fuzz(func(t *testing.T, s string) {
		ch, err := parseChallenge(s)
		if err != nil {
			return
		}
		if ch.nonce == "" || (ch.algorithm != "MD5" && ch.algorithm != "SHA-256") {
			t.Fatalf("accepted a challenge we cannot answer: %+v", ch)
		}
		h := credentials{"user", "pw-SECRET"}.authorize(ch, "REGISTER", "sip:x", 1, "c")
		if strings.Contains(h, "pw-SECRET") {
			t.Fatal("password in header")
		}
		// What we send must parse back as auth params with the same nonce.
		params, err := parseAuthParams(strings.TrimPrefix(h, "Digest "))
		if err != nil {
			t.Fatalf("our header does not parse: %v: %s", err, h)
		}
		if params["nonce"] != ch.nonce || params["realm"] != ch.realm {
			t.Fatalf("round trip: %q %q vs %+v", params["nonce"], params["realm"], ch)
		}
	})
}

func BenchmarkDigestSHA256(b *testing.B) {
	ch, err := parseChallenge(`Digest realm="asterisk", nonce="5f2a1c", algorithm=SHA-256, qop="auth"`)
	if err != nil {
		b.Fatal(err)
	}
	cr := credentials{"1001", "secret"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = cr.authorize(ch, "REGISTER", "sip:example.com", uint32(i), "c0ffee")
	}
}
