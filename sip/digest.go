package sip

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"
)

// challenge is one parsed WWW-Authenticate or Proxy-Authenticate value
// (RFC 3261 §22, RFC 7616, RFC 8760).
type challenge struct {
	realm     string
	nonce     string
	opaque    string
	algorithm string // "MD5" or "SHA-256" (upper case)
	qopAuth   bool   // the server offered qop=auth
	stale     bool
}

var errUnsupportedChallenge = errors.New("unsupported digest challenge")

// parseChallenge parses `Digest realm="x", nonce="y", ...`. It accepts
// MD5 and SHA-256 (plain, not -sess) and refuses everything else.
func parseChallenge(v string) (challenge, error) {
	var c challenge
	v = strings.TrimSpace(v)
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return c, fmt.Errorf("%w: scheme %q", errUnsupportedChallenge, scheme)
	}
	params, err := parseAuthParams(rest)
	if err != nil {
		return c, err
	}
	c.realm = params["realm"]
	c.nonce = params["nonce"]
	c.opaque = params["opaque"]
	c.stale = strings.EqualFold(params["stale"], "true")
	c.algorithm = strings.ToUpper(params["algorithm"])
	if c.algorithm == "" {
		c.algorithm = "MD5"
	}
	if c.algorithm != "MD5" && c.algorithm != "SHA-256" {
		return c, fmt.Errorf("%w: algorithm %q", errUnsupportedChallenge, params["algorithm"])
	}
	if q, ok := params["qop"]; ok {
		for _, o := range strings.Split(q, ",") {
			if strings.EqualFold(strings.TrimSpace(o), "auth") {
				c.qopAuth = true
			}
		}
		if !c.qopAuth {
			return c, fmt.Errorf("%w: qop %q", errUnsupportedChallenge, q)
		}
	}
	if c.nonce == "" {
		return c, fmt.Errorf("%w: no nonce", errUnsupportedChallenge)
	}
	return c, nil
}

// parseAuthParams splits `a="x, y", b=z` into a map with lower-case keys.
func parseAuthParams(s string) (map[string]string, error) {
	out := make(map[string]string)
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return out, nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("%w: malformed parameter", errUnsupportedChallenge)
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			closed := false
			for ; i < len(s); i++ {
				ch := s[i]
				if ch == '\\' && i+1 < len(s) {
					i++
					b.WriteByte(s[i])
					continue
				}
				if ch == '"' {
					closed = true
					break
				}
				b.WriteByte(ch)
			}
			if !closed {
				return nil, fmt.Errorf("%w: unterminated quoted string", errUnsupportedChallenge)
			}
			val = b.String()
			s = s[i+1:]
		} else {
			end := strings.IndexAny(s, ", \t")
			if end < 0 {
				end = len(s)
			}
			val = s[:end]
			s = s[end:]
		}
		out[key] = val
	}
}

// pickChallenge chooses the strongest challenge we support among the
// values of several WWW-Authenticate (or Proxy-Authenticate) headers:
// SHA-256 before MD5 (RFC 8760 §2.4).
func pickChallenge(values []string) (challenge, error) {
	var best challenge
	var firstErr error
	found := false
	for _, v := range values {
		c, err := parseChallenge(v)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if !found || (c.algorithm == "SHA-256" && best.algorithm != "SHA-256") {
			best, found = c, true
		}
	}
	if !found {
		if firstErr == nil {
			firstErr = fmt.Errorf("%w: no challenge", errUnsupportedChallenge)
		}
		return best, firstErr
	}
	return best, nil
}

// challengeOf picks the challenge of a 401 or 407 and names the header
// that answers it.
func challengeOf(resp *sipmsg.Response) (challenge, string, error) {
	hname, aname := "WWW-Authenticate", "Authorization"
	if resp.StatusCode == 407 {
		hname, aname = "Proxy-Authenticate", "Proxy-Authorization"
	}
	var vals []string
	for _, h := range resp.GetHeaders(hname) {
		vals = append(vals, h.Value())
	}
	ch, err := pickChallenge(vals)
	return ch, aname, err
}

// errChallengeRefused is a challenge secure mode does not answer.
var errChallengeRefused = errors.New("digest challenge not answered")

// checkRealm lets secure mode answer only the realm of the configured
// domain (or AuthRealm): a digest for another realm would give whoever
// asks something to crack offline, or to replay where that realm is
// real. Plain mode answers any realm our server names.
func (p *Phone) checkRealm(c challenge) error {
	if !p.cfg.Secure() {
		return nil
	}
	want := p.cfg.AuthRealm
	if want == "" {
		want = p.cfg.Domain
	}
	if strings.EqualFold(c.realm, want) {
		return nil
	}
	return fmt.Errorf("%w: the server asks for credentials of realm %q, not %q; secure mode sends no digest for it", errChallengeRefused, c.realm, want)
}

// checkChallenge is checkRealm for a response to our INVITE: nil unless
// it is a challenge secure mode must not answer.
func (p *Phone) checkChallenge(res *sipmsg.Response) error {
	if res.StatusCode != 401 && res.StatusCode != 407 {
		return nil
	}
	ch, _, err := challengeOf(res)
	if err != nil {
		if p.cfg.Secure() {
			// Not parsed, not checked: sipgo must not answer it either.
			return fmt.Errorf("%w: %v", errChallengeRefused, err)
		}
		return nil
	}
	return p.checkRealm(ch)
}

// credentials answers one challenge. The result is a header value;
// it holds a digest of the password, never the password, but it still
// must not be logged (it can be attacked offline).
type credentials struct {
	username string
	password string
}

// authorize returns the Authorization (or Proxy-Authorization) value for
// method and uri. nc counts uses of this nonce (from 1); cnonce may be
// empty to draw a random one.
func (cr credentials) authorize(c challenge, method, uri string, nc uint32, cnonce string) string {
	newHash := md5.New
	if c.algorithm == "SHA-256" {
		newHash = sha256.New
	}
	h := func(parts ...string) string {
		hh := newHash()
		writeJoined(hh, parts)
		return hex.EncodeToString(hh.Sum(nil))
	}
	ha1 := h(cr.username, c.realm, cr.password)
	ha2 := h(method, uri)
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username="%s", realm="%s", nonce="%s", uri="%s"`,
		quoteEscape(cr.username), quoteEscape(c.realm), quoteEscape(c.nonce), quoteEscape(uri))
	if c.qopAuth {
		if cnonce == "" {
			cnonce = randomHex(8)
		}
		ncs := fmt.Sprintf("%08x", nc)
		resp := h(ha1, c.nonce, ncs, cnonce, "auth", ha2)
		fmt.Fprintf(&b, `, response="%s", algorithm=%s, cnonce="%s", qop=auth, nc=%s`, resp, c.algorithm, cnonce, ncs)
	} else {
		resp := h(ha1, c.nonce, ha2)
		fmt.Fprintf(&b, `, response="%s", algorithm=%s`, resp, c.algorithm)
	}
	if c.opaque != "" {
		fmt.Fprintf(&b, `, opaque="%s"`, quoteEscape(c.opaque))
	}
	return b.String()
}

func writeJoined(h hash.Hash, parts []string) {
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{':'})
		}
		h.Write([]byte(p))
	}
}

func quoteEscape(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
