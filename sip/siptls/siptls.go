// Package siptls builds the TLS client configuration of secure mode (SIP
// over TLS) and explains why a server's certificate was refused.
//
// Secure mode trusts the system roots plus the CA the configuration or the
// administrator's policy names, checks the server's name, speaks TLS 1.2
// or newer, and has no switch to skip verification.
package siptls

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Options say what to trust.
type Options struct {
	// CAFile is a PEM file of extra trusted CA certificates.
	CAFile string
	// CAPEM is PEM text of extra trusted CA certificates.
	CAPEM string
	// ServerName, when set, is the name the certificate must carry for
	// every server; empty means each server's own host name (or IP).
	ServerName string
	// PolicyCAFile and PolicyCAPEM are the CA the administrator's policy
	// names: trusted like CAFile and CAPEM, and named apart in errors.
	PolicyCAFile, PolicyCAPEM string
	// NoSystemRoots leaves the system roots out, so only the configured CA
	// is trusted (a policy may want this; tests use it too).
	NoSystemRoots bool
}

// ErrConfig wraps problems with the CA material.
var ErrConfig = errors.New("invalid tls configuration")

// ClientConfig returns the tls.Config for SIP over TLS in secure mode.
func ClientConfig(o Options) (*tls.Config, error) {
	var pool *x509.CertPool
	if !o.NoSystemRoots {
		if sys, err := x509.SystemCertPool(); err == nil && sys != nil {
			pool = sys
		}
	}
	if pool == nil {
		pool = x509.NewCertPool()
	}
	extra := 0
	for _, f := range []struct{ what, path string }{{"caFile", o.CAFile}, {"policy caFile", o.PolicyCAFile}} {
		if f.path == "" {
			continue
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("%w: read %s: %w", ErrConfig, f.what, err)
		}
		n, err := addPEM(pool, b)
		if err != nil {
			return nil, fmt.Errorf("%w: %s %s: %w", ErrConfig, f.what, f.path, err)
		}
		extra += n
	}
	for _, p := range []struct{ what, text string }{{"ca PEM", o.CAPEM}, {"policy caPem", o.PolicyCAPEM}} {
		if strings.TrimSpace(p.text) == "" {
			continue
		}
		n, err := addPEM(pool, []byte(p.text))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrConfig, p.what, err)
		}
		extra += n
	}
	if o.NoSystemRoots && extra == 0 {
		return nil, fmt.Errorf("%w: no system roots and no CA given: nothing would be trusted", ErrConfig)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    pool,
		ServerName: o.ServerName,
	}, nil
}

// ClientConfigFor is ClientConfig for a server the user named: the
// certificate must be valid for one of names (the configured domain and
// the hosts typed as servers), or for o.ServerName alone when set,
// whatever host a DNS SRV answer made us dial (RFC 5922 §4.2). A forged
// SRV answer then leads at most to a refused handshake, never to a
// "verified" connection to the host it names.
func ClientConfigFor(o Options, names []string) (*tls.Config, error) {
	cfg, err := ClientConfig(o)
	if err != nil {
		return nil, err
	}
	if o.ServerName != "" {
		names = []string{o.ServerName}
	}
	names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "" })
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no server name to check the certificate against", ErrConfig)
	}
	roots := cfg.RootCAs
	// The standard check would compare the certificate with the host
	// sipgo dials (an SRV target). VerifyConnection below does the whole
	// check instead, chain included, against the configured names; it
	// runs on every handshake, so nothing is left unverified.
	cfg.InsecureSkipVerify = true
	cfg.ServerName = names[0] // SNI asks for the domain we want
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		return verifyNames(cs.PeerCertificates, roots, names)
	}
	return cfg, nil
}

// verifyNames checks the chain against roots and the leaf against names.
func verifyNames(chain []*x509.Certificate, roots *x509.CertPool, names []string) error {
	if len(chain) == 0 {
		return &tls.CertificateVerificationError{Err: errors.New("the server sent no certificate")}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	leaf := chain[0]
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter}); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: chain, Err: err}
	}
	for _, n := range names {
		if leaf.VerifyHostname(n) == nil {
			return nil
		}
	}
	return &WrongNameError{Want: names, Has: certNames(leaf)}
}

// certNames lists the names a certificate is valid for.
func certNames(c *x509.Certificate) []string {
	out := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	if len(out) == 0 && c.Subject.CommonName != "" {
		out = append(out, c.Subject.CommonName)
	}
	return out
}

// WrongNameError is a certificate from a trusted authority that is not
// valid for any name we asked for.
type WrongNameError struct {
	Want []string // the configured names
	Has  []string // the names the certificate carries
}

func (e *WrongNameError) Error() string {
	return fmt.Sprintf("certificate is valid for %s, not for %s", listOr(e.Has, "no name"), strings.Join(e.Want, " or "))
}

func listOr(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(s, ", ")
}

// addPEM adds every CERTIFICATE block of b; anything else is an error,
// so a key pasted by mistake is not silently ignored.
func addPEM(pool *x509.CertPool, b []byte) (int, error) {
	n := 0
	rest := b
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			return n, fmt.Errorf("PEM block %q is not a certificate", blk.Type)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return n, fmt.Errorf("parse certificate: %w", err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return 0, errors.New("no PEM certificate found")
	}
	return n, nil
}

// Reasons a server certificate is refused, as the page shows them.
const (
	ReasonExpired          = "expired"
	ReasonUnknownAuthority = "unknown authority"
	ReasonWrongName        = "wrong name"
	ReasonInvalid          = "invalid certificate"
)

// Classify says why err (from a TLS handshake, however wrapped) refused
// the server's certificate: one of the Reason constants, and false when
// err is not a certificate failure.
func Classify(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) {
		if inv.Reason == x509.Expired {
			return ReasonExpired, true
		}
		return ReasonInvalid, true
	}
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) {
		return ReasonUnknownAuthority, true
	}
	var he x509.HostnameError
	var wn *WrongNameError
	if errors.As(err, &he) || errors.As(err, &wn) {
		return ReasonWrongName, true
	}
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return ReasonInvalid, true
	}
	return "", false
}

// Describe turns a certificate failure into a sentence for the page and
// the log, naming the reason first; other errors give "".
func Describe(err error) string {
	reason, ok := Classify(err)
	if !ok {
		return ""
	}
	switch reason {
	case ReasonExpired:
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Cert != nil {
			return fmt.Sprintf("server certificate expired (valid until %s)", inv.Cert.NotAfter.UTC().Format("2006-01-02"))
		}
		return "server certificate expired"
	case ReasonUnknownAuthority:
		return "server certificate signed by an unknown authority"
	case ReasonWrongName:
		var wn *WrongNameError
		if errors.As(err, &wn) {
			return fmt.Sprintf("server certificate has the wrong name (not valid for %s; it names %s)", strings.Join(wn.Want, " or "), listOr(wn.Has, "no name"))
		}
		var he x509.HostnameError
		if errors.As(err, &he) {
			return fmt.Sprintf("server certificate has the wrong name (not valid for %s)", he.Host)
		}
		return "server certificate has the wrong name"
	}
	return "server certificate is not valid"
}
