package browsertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/openbpclient/bpclient/nativemsg/extension"
)

// Test domains. Browsers resolve every *.test name to 127.0.0.1
// (Chromium: --host-resolver-rules; Firefox: network.dns.localDomains).
const (
	AllowedDomain = "agent.bpclient.test" // on the allow-list
	OtherDomain   = "other.bpclient.test" // not on it: the user may allow it
	SpareDomain   = "spare.bpclient.test" // not on it, for tests that must not allow it
)

// SandboxQuery in a URL's query makes the server send the page with
// "Content-Security-Policy: sandbox allow-scripts": a document whose origin
// is opaque although its URL is on a test domain.
const SandboxQuery = "csp-sandbox"

// TestDomains are the names the test certificate covers and the browsers
// map to 127.0.0.1.
var TestDomains = []string{AllowedDomain, OtherDomain, SpareDomain}

// Server serves the demo Agent Desktop page and bpclient.js over https
// (self-signed, for the test domains and 127.0.0.1) and over plain http.
type Server struct {
	HTTPSPort int
	HTTPPort  int
	mux       *http.ServeMux
	https     *http.Server
	http      *http.Server
}

// StartServer listens on two loopback ports.
func StartServer() (*Server, error) {
	cert, err := selfSignedCert(TestDomains)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	files := http.FileServerFS(extension.Page())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.URL.Query().Has(SandboxQuery) {
			// A document with an opaque origin at an https URL.
			w.Header().Set("Content-Security-Policy", "sandbox allow-scripts")
		}
		if r.URL.Path == "/" {
			http.ServeFileFS(w, r, extension.Page(), "demo.html")
			return
		}
		files.ServeHTTP(w, r)
	})
	tlsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tlsLn.Close()
		return nil, err
	}
	s := &Server{
		mux:       mux,
		HTTPSPort: tlsLn.Addr().(*net.TCPAddr).Port,
		HTTPPort:  plainLn.Addr().(*net.TCPAddr).Port,
		// Browsers drop speculative connections; the server's complaints
		// about them are noise in test and demo output.
		https: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ErrorLog: log.New(io.Discard, "", 0)},
		http:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)},
	}
	go s.https.ServeTLS(tlsLn, "", "")
	go s.http.Serve(plainLn)
	return s, nil
}

// URL is the https URL of path (e.g. "/demo.html?x=1") on domain.
func (s *Server) URL(domain, path string) string {
	return "https://" + net.JoinHostPort(domain, strconv.Itoa(s.HTTPSPort)) + path
}

// PlainURL is the http URL of path on domain.
func (s *Server) PlainURL(domain, path string) string {
	return "http://" + net.JoinHostPort(domain, strconv.Itoa(s.HTTPPort)) + path
}

// Handle serves pattern with h besides the demo page (a test's own page
// or endpoint); it may be called while the server runs.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Close stops both listeners.
func (s *Server) Close() error {
	s.http.Close()
	return s.https.Close()
}

func selfSignedCert(names []string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0]},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              append([]string{"*.bpclient.test"}, names...),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("test certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
