// Package sdes is SDP Security Descriptions for media streams (RFC 4568):
// the a=crypto attribute that carries SRTP master keys inside SDP. It
// parses and writes the attribute, makes fresh keys from crypto/rand, and
// runs the offer/answer choice of a crypto suite.
//
// Key material is secret: Crypto's String and Format("%v") redact it; only
// Marshal writes the key, for the SDP body itself. Nothing here logs.
package sdes

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"github.com/pion/srtp/v3"
)

// The crypto suites secure mode supports (RFC 4568 §6.2, RFC 7714 §12).
const (
	AESCM128HMACSHA180 = "AES_CM_128_HMAC_SHA1_80"
	AESCM128HMACSHA132 = "AES_CM_128_HMAC_SHA1_32"
	AEADAES128GCM      = "AEAD_AES_128_GCM"
	AEADAES256GCM      = "AEAD_AES_256_GCM"
)

// Suite describes one crypto suite.
type Suite struct {
	Name    string
	KeyLen  int // master key bytes
	SaltLen int // master salt bytes
	Profile srtp.ProtectionProfile
}

// LookupSuite returns the suite called name (case-sensitive, as RFC 4568
// registers them).
func LookupSuite(name string) (Suite, bool) {
	switch name {
	case AESCM128HMACSHA180:
		return Suite{name, 16, 14, srtp.ProtectionProfileAes128CmHmacSha1_80}, true
	case AESCM128HMACSHA132:
		return Suite{name, 16, 14, srtp.ProtectionProfileAes128CmHmacSha1_32}, true
	case AEADAES128GCM:
		return Suite{name, 16, 12, srtp.ProtectionProfileAeadAes128Gcm}, true
	case AEADAES256GCM:
		return Suite{name, 32, 12, srtp.ProtectionProfileAeadAes256Gcm}, true
	}
	return Suite{}, false
}

// DefaultSuites is the order we offer when the configuration names none:
// the suite every SDES peer has first, then the AEAD ones, then the short
// tag.
func DefaultSuites() []string {
	return []string{AESCM128HMACSHA180, AEADAES128GCM, AEADAES256GCM, AESCM128HMACSHA132}
}

// Errors callers branch on.
var (
	// ErrSyntax wraps every malformed a=crypto value.
	ErrSyntax = errors.New("malformed crypto attribute")
	// ErrUnsupported wraps well-formed attributes we will not use: an
	// unknown suite, a session parameter that weakens protection, more
	// than one key.
	ErrUnsupported = errors.New("unsupported crypto attribute")
	// ErrNoCommonSuite is returned when no offered suite is one we use.
	ErrNoCommonSuite = errors.New("no common SRTP crypto suite")
)

// Crypto is one a=crypto attribute with a single inline key.
type Crypto struct {
	Tag   int // 1..999999999
	Suite string
	// key is the master key followed by the master salt.
	key []byte
	// Lifetime is the key's lifetime as written ("2^31", "1048576"), or "".
	Lifetime string
	// MKIValue and MKILen are the master key identifier (MKILen bytes on
	// the wire); MKILen 0 means none.
	MKIValue uint64
	MKILen   int
	// Params are the session parameters as written (KDR=0, WSH=128, ...).
	Params []string
}

const maxValue = 1024 // an a=crypto value is under 200 bytes in practice

// Parse reads the value of an a=crypto attribute (the text after
// "crypto:"). Errors wrap ErrSyntax or ErrUnsupported and never quote the
// key.
func Parse(value string) (Crypto, error) {
	var c Crypto
	if len(value) > maxValue {
		return c, fmt.Errorf("%w: %d bytes", ErrSyntax, len(value))
	}
	f := strings.Fields(value)
	if len(f) < 3 {
		return c, fmt.Errorf("%w: want \"tag suite key-params\"", ErrSyntax)
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || tag > 999999999 || len(f[0]) > 9 {
		return c, fmt.Errorf("%w: tag %q", ErrSyntax, clip(f[0]))
	}
	c.Tag = tag
	c.Suite = f[1]
	suite, known := LookupSuite(f[1])
	if !known {
		if !isToken(f[1]) {
			return c, fmt.Errorf("%w: suite name", ErrSyntax)
		}
	}
	keyParams := strings.Split(f[2], ";")
	if len(keyParams) > 1 {
		// Several keys (each with its own MKI) are legal but we use one.
		return c, fmt.Errorf("%w: %d keys in one attribute", ErrUnsupported, len(keyParams))
	}
	method, info, ok := strings.Cut(keyParams[0], ":")
	if !ok || method != "inline" {
		return c, fmt.Errorf("%w: key method must be inline", ErrSyntax)
	}
	parts := strings.Split(info, "|")
	if len(parts) > 3 {
		return c, fmt.Errorf("%w: key info has %d parts", ErrSyntax, len(parts))
	}
	key, err := decodeKey(parts[0])
	if err != nil {
		return c, err
	}
	c.key = key
	for _, p := range parts[1:] {
		if strings.Contains(p, ":") {
			if c.MKILen != 0 {
				return c, fmt.Errorf("%w: two MKIs", ErrSyntax)
			}
			if err := c.parseMKI(p); err != nil {
				return c, err
			}
			continue
		}
		if c.Lifetime != "" {
			return c, fmt.Errorf("%w: two lifetimes", ErrSyntax)
		}
		if err := checkLifetime(p); err != nil {
			return c, err
		}
		c.Lifetime = p
	}
	for _, sp := range f[3:] {
		if !isParam(sp) {
			return c, fmt.Errorf("%w: session parameter", ErrSyntax)
		}
		c.Params = append(c.Params, sp)
	}
	if !known {
		return c, fmt.Errorf("%w: suite %s", ErrUnsupported, c.Suite)
	}
	if len(key) != suite.KeyLen+suite.SaltLen {
		return c, fmt.Errorf("%w: %s key is %d bytes, want %d", ErrSyntax, c.Suite, len(key), suite.KeyLen+suite.SaltLen)
	}
	for _, sp := range c.Params {
		if err := checkParam(sp); err != nil {
			return c, err
		}
	}
	return c, nil
}

func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty key", ErrSyntax)
	}
	// RFC 4568 keys are padded base64; some phones leave the padding off.
	enc := base64.StdEncoding
	if !strings.HasSuffix(s, "=") && len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	key, err := enc.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: key is not base64", ErrSyntax)
	}
	return key, nil
}

func (c *Crypto) parseMKI(p string) error {
	v, l, _ := strings.Cut(p, ":")
	if v == "" || l == "" || len(v) > 20 || len(l) > 3 {
		return fmt.Errorf("%w: mki", ErrSyntax)
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > 128 {
		return fmt.Errorf("%w: mki length", ErrSyntax)
	}
	val, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: mki value", ErrSyntax)
	}
	if n < 8 && val >= 1<<(8*uint(n)) {
		return fmt.Errorf("%w: mki value does not fit %d bytes", ErrSyntax, n)
	}
	c.MKIValue, c.MKILen = val, n
	return nil
}

func checkLifetime(p string) error {
	if strings.HasPrefix(p, "2^") {
		n, err := strconv.Atoi(p[2:])
		if err != nil || n < 0 || n > 48 || len(p) > 4 {
			return fmt.Errorf("%w: lifetime", ErrSyntax)
		}
		return nil
	}
	if len(p) == 0 || len(p) > 15 {
		return fmt.Errorf("%w: lifetime", ErrSyntax)
	}
	if _, err := strconv.ParseUint(p, 10, 64); err != nil {
		return fmt.Errorf("%w: lifetime", ErrSyntax)
	}
	return nil
}

// checkParam refuses the session parameters secure mode cannot honour
// (RFC 4568 §6.3): no unencrypted or unauthenticated SRTP, only the
// default key derivation rate, no FEC keys.
func checkParam(p string) error {
	name, val, _ := strings.Cut(p, "=")
	switch name {
	case "UNENCRYPTED_SRTP", "UNENCRYPTED_SRTCP", "UNAUTHENTICATED_SRTP":
		return fmt.Errorf("%w: %s weakens protection", ErrUnsupported, name)
	case "KDR":
		if val != "0" {
			return fmt.Errorf("%w: key derivation rate %s", ErrUnsupported, clip(val))
		}
	case "WSH":
		n, err := strconv.Atoi(val)
		if err != nil || n < 64 || n > 1<<15 {
			return fmt.Errorf("%w: window size hint", ErrSyntax)
		}
	case "FEC_ORDER":
		if val != "FEC_SRTP" && val != "SRTP_FEC" {
			return fmt.Errorf("%w: FEC_ORDER", ErrSyntax)
		}
	case "FEC_KEY":
		return fmt.Errorf("%w: FEC_KEY", ErrUnsupported)
	default:
		// RFC 4568 §6.3: "-" marks parameters that may be ignored.
		if !strings.HasPrefix(name, "-") {
			return fmt.Errorf("%w: session parameter %s", ErrUnsupported, clip(name))
		}
	}
	return nil
}

func isToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func isParam(s string) bool {
	if len(s) > 128 {
		return false
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}

// clip keeps error messages short and printable.
func clip(s string) string {
	if len(s) > 16 {
		s = s[:16] + "..."
	}
	return strconv.Quote(s)
}

// New makes a Crypto for suite with a fresh master key and salt from r
// (crypto/rand.Reader when r is nil).
func New(tag int, suite string, r io.Reader) (Crypto, error) {
	s, ok := LookupSuite(suite)
	if !ok {
		return Crypto{}, fmt.Errorf("%w: suite %s", ErrUnsupported, suite)
	}
	if tag < 0 || tag > 999999999 {
		return Crypto{}, fmt.Errorf("crypto tag %d out of range", tag)
	}
	if r == nil {
		r = rand.Reader
	}
	key := make([]byte, s.KeyLen+s.SaltLen)
	if _, err := io.ReadFull(r, key); err != nil {
		return Crypto{}, fmt.Errorf("make srtp key: %w", err)
	}
	return Crypto{Tag: tag, Suite: suite, key: key}, nil
}

// Marshal writes the attribute value (without "crypto:"), key included.
// Use it only to build SDP.
func (c Crypto) Marshal() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s inline:%s", c.Tag, c.Suite, base64.StdEncoding.EncodeToString(c.key))
	if c.Lifetime != "" {
		b.WriteString("|" + c.Lifetime)
	}
	if c.MKILen > 0 {
		fmt.Fprintf(&b, "|%d:%d", c.MKIValue, c.MKILen)
	}
	for _, p := range c.Params {
		b.WriteString(" " + p)
	}
	return b.String()
}

// String describes the attribute with the key redacted; it is what %v
// prints, so a Crypto in a log line leaks nothing.
func (c Crypto) String() string {
	return fmt.Sprintf("%d %s inline:[redacted]", c.Tag, c.Suite)
}

// GoString redacts too (%#v).
func (c Crypto) GoString() string { return "sdes.Crypto{" + c.String() + "}" }

// Key returns the master key and master salt (copies).
func (c Crypto) Key() (masterKey, masterSalt []byte) {
	s, ok := LookupSuite(c.Suite)
	if !ok || len(c.key) != s.KeyLen+s.SaltLen {
		return nil, nil
	}
	return append([]byte(nil), c.key[:s.KeyLen]...), append([]byte(nil), c.key[s.KeyLen:]...)
}

// KeyMaterial returns key||salt as the SDP carries it (a copy): what a
// test greps logs for.
func (c Crypto) KeyMaterial() []byte { return append([]byte(nil), c.key...) }

// MKI returns the master key identifier as it appears in packets, or nil.
func (c Crypto) MKI() []byte {
	if c.MKILen == 0 {
		return nil
	}
	b := new(big.Int).SetUint64(c.MKIValue).Bytes()
	out := make([]byte, c.MKILen)
	copy(out[c.MKILen-min(len(b), c.MKILen):], b)
	return out
}

// Profile is the pion/srtp protection profile of the suite.
func (c Crypto) Profile() (srtp.ProtectionProfile, error) {
	s, ok := LookupSuite(c.Suite)
	if !ok {
		return 0, fmt.Errorf("%w: suite %s", ErrUnsupported, c.Suite)
	}
	return s.Profile, nil
}

// Offer makes one attribute per suite, tags 1..n in the given order, each
// with its own fresh key (r: crypto/rand.Reader when nil). Keys are new on
// every call: call it once per call (and per re-offer that rekeys).
func Offer(suites []string, r io.Reader) ([]Crypto, error) {
	if len(suites) == 0 {
		return nil, errors.New("no crypto suite to offer")
	}
	out := make([]Crypto, 0, len(suites))
	for i, s := range suites {
		c, err := New(i+1, s, r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// ParseAll parses the values of every a=crypto attribute of a media
// stream. Lines we cannot use are left out and their errors returned
// joined; a stream with no usable line gives an empty slice.
func ParseAll(values []string) ([]Crypto, error) {
	var out []Crypto
	var errs []error
	for _, v := range values {
		c, err := Parse(v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

// Answer chooses, for the remote offer, the first offered attribute whose
// suite is in supported (the offerer's preference wins, RFC 4568 §7.1.2),
// and makes our answer: same tag and suite, a fresh key of our own. remote
// is the chosen offer: its key decrypts what the offerer sends.
func Answer(offered []Crypto, supported []string, r io.Reader) (remote, local Crypto, err error) {
	for _, o := range offered {
		for _, s := range supported {
			if o.Suite != s {
				continue
			}
			local, err = New(o.Tag, o.Suite, r)
			if err != nil {
				return Crypto{}, Crypto{}, err
			}
			return o, local, nil
		}
	}
	return Crypto{}, Crypto{}, ErrNoCommonSuite
}

// Accept reads the answer to our offer: exactly one attribute whose tag
// and suite match one we offered. It returns our offered attribute (its
// key encrypts what we send) and the answer (its key decrypts what we
// receive).
func Accept(ours []Crypto, answer []Crypto) (local, remote Crypto, err error) {
	if len(answer) == 0 {
		return Crypto{}, Crypto{}, ErrNoCommonSuite
	}
	if len(answer) > 1 {
		return Crypto{}, Crypto{}, fmt.Errorf("%w: the answer has %d crypto attributes, want one", ErrUnsupported, len(answer))
	}
	a := answer[0]
	for _, o := range ours {
		if o.Tag == a.Tag {
			if o.Suite != a.Suite {
				return Crypto{}, Crypto{}, fmt.Errorf("%w: answer tag %d names %s, we offered %s", ErrUnsupported, a.Tag, a.Suite, o.Suite)
			}
			return o, a, nil
		}
	}
	return Crypto{}, Crypto{}, fmt.Errorf("%w: answer tag %d was not offered", ErrUnsupported, a.Tag)
}
