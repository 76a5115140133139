package siptls_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip/siptls"
)

// serve runs a TLS server with sc on loopback that completes handshakes
// and closes; it stops with the test.
func serve(t *testing.T, sc siptest.ServerCert) string {
	t.Helper()
	cert, err := tls.X509KeyPair([]byte(sc.CertPEM), []byte(sc.KeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func dial(addr, name string, cfg *tls.Config) error {
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = name
	}
	d := &net.Dialer{Timeout: 3 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	return c.Close()
}

func TestVerification(t *testing.T) {
	ca := siptest.NewCA(t, "bpclient test CA")
	other := siptest.NewCA(t, "someone else's CA")
	valid := serve(t, ca.Loopback(t))
	expired := serve(t, ca.Issue(t, siptest.CertOptions{IPs: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}))
	unknown := serve(t, other.Loopback(t))
	wrongName := serve(t, ca.Issue(t, siptest.CertOptions{DNSNames: []string{"sip.other.example"}}))

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, []byte(ca.PEM), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, o := range []siptls.Options{{CAFile: caFile}, {CAPEM: ca.PEM}, {CAPEM: ca.PEM, NoSystemRoots: true}} {
		cfg, err := siptls.ClientConfig(o)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.MinVersion != tls.VersionTLS12 || cfg.InsecureSkipVerify {
			t.Fatalf("config %+v", cfg)
		}
		if err := dial(valid, "127.0.0.1", cfg); err != nil {
			t.Errorf("valid certificate refused: %v", err)
		}
		if err := dial(valid, "localhost", cfg); err != nil {
			t.Errorf("valid certificate by name refused: %v", err)
		}
		for _, tc := range []struct{ addr, name, reason, text string }{
			{expired, "127.0.0.1", siptls.ReasonExpired, "expired (valid until"},
			{unknown, "127.0.0.1", siptls.ReasonUnknownAuthority, "unknown authority"},
			{wrongName, "127.0.0.1", siptls.ReasonWrongName, "wrong name (not valid for 127.0.0.1)"},
			{valid, "sip.example.com", siptls.ReasonWrongName, "wrong name"},
		} {
			err := dial(tc.addr, tc.name, cfg)
			reason, ok := siptls.Classify(err)
			if !ok || reason != tc.reason {
				t.Errorf("%s as %s: %v classified %q, want %q", tc.addr, tc.name, err, reason, tc.reason)
			}
			if d := siptls.Describe(err); !strings.Contains(d, tc.text) {
				t.Errorf("describe: %q, want %q", d, tc.text)
			}
		}
	}
	// The system roots alone do not know our CA.
	cfg, err := siptls.ClientConfig(siptls.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := siptls.Classify(dial(valid, "127.0.0.1", cfg)); r != siptls.ReasonUnknownAuthority {
		t.Errorf("system roots only: %q", r)
	}
	// A fixed ServerName is checked against every server.
	cfg, _ = siptls.ClientConfig(siptls.Options{CAPEM: ca.PEM, ServerName: "localhost"})
	if err := dial(valid, "", cfg); err != nil {
		t.Errorf("ServerName localhost: %v", err)
	}
	cfg, _ = siptls.ClientConfig(siptls.Options{CAPEM: ca.PEM, ServerName: "sip.other.example"})
	if r, _ := siptls.Classify(dial(valid, "", cfg)); r != siptls.ReasonWrongName {
		t.Errorf("ServerName mismatch: %q", r)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, o := range []siptls.Options{
		{CAFile: filepath.Join(t.TempDir(), "missing.pem")},
		{CAPEM: "not pem"},
		{CAPEM: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
		{CAPEM: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
		{NoSystemRoots: true},
	} {
		if _, err := siptls.ClientConfig(o); !errors.Is(err, siptls.ErrConfig) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	// The policy's CA material is named as the policy's in errors.
	for o, want := range map[siptls.Options]string{
		{PolicyCAFile: filepath.Join(t.TempDir(), "missing.pem")}: "read policy caFile",
		{PolicyCAPEM: "not pem"}:                                  "policy caPem",
	} {
		if _, err := siptls.ClientConfig(o); !errors.Is(err, siptls.ErrConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want %q", o, err, want)
		}
	}
	if _, ok := siptls.Classify(errors.New("connection refused")); ok {
		t.Error("a network error classified as a certificate failure")
	}
	if siptls.Describe(nil) != "" {
		t.Error("nil described")
	}
}

// TestClientConfigFor: the certificate is checked against the configured
// names, not the host dialled (an SRV target), with the chain still
// verified and each failure classified as before.
func TestClientConfigFor(t *testing.T) {
	ca := siptest.NewCA(t, "bpclient test CA")
	other := siptest.NewCA(t, "someone else's CA")
	pbx := serve(t, ca.Issue(t, siptest.CertOptions{DNSNames: []string{"pbx.example.com"}}))
	target := serve(t, ca.Issue(t, siptest.CertOptions{DNSNames: []string{"target.example.net"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}))
	stranger := serve(t, other.Issue(t, siptest.CertOptions{DNSNames: []string{"pbx.example.com"}}))
	expired := serve(t, ca.Issue(t, siptest.CertOptions{DNSNames: []string{"pbx.example.com"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}))
	cfg, err := siptls.ClientConfigFor(siptls.Options{CAPEM: ca.PEM, NoSystemRoots: true}, []string{"pbx.example.com", "example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := dial(pbx, "127.0.0.1", cfg); err != nil {
		t.Errorf("certificate for the configured name: %v", err)
	}
	for _, tc := range []struct {
		what, addr, reason, text string
	}{
		{"the dialled host's certificate", target, siptls.ReasonWrongName,
			"wrong name (not valid for pbx.example.com or example.com; it names target.example.net, 127.0.0.1)"},
		{"another CA", stranger, siptls.ReasonUnknownAuthority, "unknown authority"},
		{"expired", expired, siptls.ReasonExpired, "expired"},
	} {
		err := dial(tc.addr, "127.0.0.1", cfg)
		if r, _ := siptls.Classify(err); r != tc.reason {
			t.Errorf("%s: %v classified %q, want %q", tc.what, err, r, tc.reason)
		}
		if d := siptls.Describe(err); !strings.Contains(d, tc.text) {
			t.Errorf("%s: %q, want %q", tc.what, d, tc.text)
		}
	}
	// ServerName replaces the names.
	cfg, _ = siptls.ClientConfigFor(siptls.Options{CAPEM: ca.PEM, ServerName: "target.example.net"}, []string{"pbx.example.com"})
	if err := dial(target, "", cfg); err != nil {
		t.Errorf("ServerName: %v", err)
	}
	if r, _ := siptls.Classify(dial(pbx, "", cfg)); r != siptls.ReasonWrongName {
		t.Errorf("ServerName is the only name: %q", r)
	}
	if _, err := siptls.ClientConfigFor(siptls.Options{CAPEM: ca.PEM}, nil); !errors.Is(err, siptls.ErrConfig) {
		t.Errorf("no names: %v", err)
	}
}
