package dtlssrtp

import (
	"crypto/sha1" //nolint:gosec // RFC 8122 names SHA-1 fingerprints; we verify them, we never offer them
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// Fingerprint is the value of an SDP a=fingerprint attribute (RFC 8122):
// a hash function and the hash of a certificate's DER encoding.
type Fingerprint struct {
	Hash  string // lower case: "sha-256", "sha-1", "sha-384", "sha-512"
	Value []byte
}

// hashes are the fingerprint hash functions we verify. We offer sha-256
// only; the others are accepted from peers (RFC 8122 §5). An array, not
// a map: a map literal is built by the package's initialiser in every
// process that links the package (BENCHMARKS.md, the idle agent's memory).
var hashes = [...]fingerprintHash{
	{"sha-1", sha1.Size, sha1.New},
	{"sha-256", sha256.Size, sha256.New},
	{"sha-384", sha512.Size384, sha512.New384},
	{"sha-512", sha512.Size, sha512.New},
}

type fingerprintHash struct {
	name string
	size int
	new  func() hash.Hash
}

// hashNamed is the fingerprint hash function of that (lower case) name.
func hashNamed(name string) (fingerprintHash, bool) {
	for _, h := range hashes {
		if h.name == name {
			return h, true
		}
	}
	return fingerprintHash{}, false
}

// ErrFingerprint wraps every reason an a=fingerprint value is unusable.
var ErrFingerprint = errors.New("bad dtls fingerprint")

// maxAttr bounds what we parse: a sha-512 fingerprint is 197 bytes.
const maxAttr = 256

// ParseFingerprint reads an a=fingerprint value: "sha-256 AB:CD:…". The
// hash name is case-insensitive; the hex pairs are separated by colons.
func ParseFingerprint(value string) (Fingerprint, error) {
	if len(value) > maxAttr {
		return Fingerprint{}, fmt.Errorf("%w: %d bytes", ErrFingerprint, len(value))
	}
	name, hexv, ok := strings.Cut(strings.TrimSpace(value), " ")
	if !ok {
		return Fingerprint{}, fmt.Errorf("%w: no hash function before the value", ErrFingerprint)
	}
	name = strings.ToLower(name)
	h, known := hashNamed(name)
	if !known {
		return Fingerprint{}, fmt.Errorf("%w: hash function %q is not supported", ErrFingerprint, clip(name))
	}
	hexv = strings.TrimSpace(hexv)
	parts := strings.Split(hexv, ":")
	if len(parts) != h.size {
		return Fingerprint{}, fmt.Errorf("%w: %s wants %d bytes, the value has %d", ErrFingerprint, name, h.size, len(parts))
	}
	out := make([]byte, 0, h.size)
	for _, p := range parts {
		if len(p) != 2 {
			return Fingerprint{}, fmt.Errorf("%w: %q is not a hex byte", ErrFingerprint, clip(p))
		}
		b, err := hex.DecodeString(p)
		if err != nil {
			return Fingerprint{}, fmt.Errorf("%w: %q is not a hex byte", ErrFingerprint, clip(p))
		}
		out = append(out, b[0])
	}
	return Fingerprint{Hash: name, Value: out}, nil
}

// FingerprintOf hashes a certificate's DER bytes with the named function.
func FingerprintOf(hashName string, der []byte) (Fingerprint, error) {
	h, ok := hashNamed(strings.ToLower(hashName))
	if !ok {
		return Fingerprint{}, fmt.Errorf("%w: hash function %q is not supported", ErrFingerprint, clip(hashName))
	}
	d := h.new()
	d.Write(der)
	return Fingerprint{Hash: strings.ToLower(hashName), Value: d.Sum(nil)}, nil
}

// String is the a=fingerprint value: upper-case hex pairs (RFC 8122 §5).
func (f Fingerprint) String() string {
	var b strings.Builder
	b.WriteString(f.Hash)
	b.WriteByte(' ')
	for i, v := range f.Value {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", v)
	}
	return b.String()
}

// Matches reports whether der, a certificate, has this fingerprint.
func (f Fingerprint) Matches(der []byte) bool {
	got, err := FingerprintOf(f.Hash, der)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got.Value, f.Value) == 1
}

// Setup is the value of an SDP a=setup attribute (RFC 4145 §4): which
// side opens the DTLS association. "active" is the DTLS client.
type Setup string

// The a=setup values.
const (
	SetupActive   Setup = "active"
	SetupPassive  Setup = "passive"
	SetupActPass  Setup = "actpass"
	SetupHoldConn Setup = "holdconn"
)

// ErrSetup wraps an unusable a=setup value.
var ErrSetup = errors.New("bad a=setup")

// ParseSetup reads an a=setup value; an empty value is "" with no error
// (the attribute is absent).
func ParseSetup(value string) (Setup, error) {
	v := Setup(strings.ToLower(strings.TrimSpace(value)))
	switch v {
	case "", SetupActive, SetupPassive, SetupActPass, SetupHoldConn:
		return v, nil
	}
	return "", fmt.Errorf("%w: %q", ErrSetup, clip(value))
}

// AnswerSetup is our a=setup in the answer to an offer's: active unless
// the offerer insists on being active (RFC 5763 §5: the answerer should
// be active, so that its ClientHello need not wait for the answer to
// arrive). An offer without a=setup counts as active (RFC 4145 §4).
func AnswerSetup(offer Setup) (Setup, error) {
	switch offer {
	case SetupActPass, SetupPassive:
		return SetupActive, nil
	case SetupActive, "":
		return SetupPassive, nil
	}
	return "", fmt.Errorf("%w: the offer's %q leaves no role for us", ErrSetup, offer)
}

// OffererRole is whether we, having offered actpass, are the DTLS client,
// from the answer's a=setup. An answer without it counts as active (RFC
// 4145 §4), which makes us the server.
func OffererRole(answer Setup) (client bool, err error) {
	switch answer {
	case SetupPassive:
		return true, nil
	case SetupActive, "":
		return false, nil
	}
	return false, fmt.Errorf("%w: the answer says %q; an answer must be active or passive", ErrSetup, answer)
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
