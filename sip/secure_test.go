package sip_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// TestSecureRegisterTLS registers over TLS with Kamailio: a certificate
// from the configured CA registers; one from an unknown CA, an expired one
// and one for another name fail with that reason and are not retried.
func TestSecureRegisterTLS(t *testing.T) {
	t.Parallel()
	ca := siptest.NewCA(t, "bpclient test CA")
	other := siptest.NewCA(t, "unknown CA")
	loop := []net.IP{net.IPv4(127, 0, 0, 1)}
	for _, tc := range []struct {
		name   string
		cert   siptest.ServerCert
		reason string
	}{
		{"valid", ca.Loopback(t), ""},
		{"unknown-authority", other.Loopback(t), "signed by an unknown authority"},
		{"expired", ca.Issue(t, siptest.CertOptions{IPs: loop, NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}), "certificate expired"},
		{"wrong-name", ca.Issue(t, siptest.CertOptions{DNSNames: []string{"sip.other.example"}}), "wrong name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: &tc.cert})
			p, ev := startPhone(t, sip.Config{Mode: "secure", Server: k.TLSAddr(), Domain: "127.0.0.1",
				Username: "1001", Password: "secret1", CAPEM: ca.PEM, RetryMin: 100 * time.Millisecond})
			if err := p.Register(); err != nil {
				t.Fatal(err)
			}
			if tc.reason == "" {
				rs := ev.waitReg(t, sip.Registered)
				if rs.Server != k.TLSAddr() {
					t.Errorf("registered at %s", rs.Server)
				}
				if n := k.Count("REQ REGISTER", "/tls"); n == 0 {
					t.Errorf("kamailio saw no REGISTER over TLS:\n%s", k.Log())
				}
				return
			}
			rs := ev.waitReg(t, sip.Failed)
			if !strings.Contains(rs.Reason, tc.reason) {
				t.Errorf("reason %q, want %q", rs.Reason, tc.reason)
			}
			// Not retried: a refused certificate is final.
			time.Sleep(500 * time.Millisecond)
			if got := ev.regStates(); len(got) != 1 {
				t.Errorf("registration states %v, want one failure", got)
			}
			if n := k.Count("REQ REGISTER"); n != 0 {
				t.Errorf("kamailio saw %d REGISTERs over a refused connection", n)
			}
		})
	}
}

func TestSecureConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  sip.Config
		want string
	}{
		{sip.Config{Mode: "secure", Transport: "udp"}, "only over tls"},
		{sip.Config{Mode: "secure", SRTPSuites: []string{"NULL"}}, "srtp suite"},
		{sip.Config{Mode: "paranoid"}, "mode"},
		{sip.Config{Mode: "secure", CAPEM: "junk"}, "no PEM certificate"},
		{sip.Config{SIPS: true, Transport: "tcp"}, "sips: URIs need transport tls"},
		{sip.Config{Mode: "secure", Keying: "zrtp"}, "keying"},
		{sip.Config{Keying: "dtls"}, "secure mode only"},
	} {
		tc.cfg.Server, tc.cfg.Username = "127.0.0.1:5061", "1001"
		if _, err := sip.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	p, err := sip.New(sip.Config{Mode: "secure", Server: "127.0.0.1", Username: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Config(); c.Transport != "tls" || len(c.SRTPSuites) != 4 || c.Keying != sip.KeyingSDES || c.SIPS {
		t.Errorf("secure defaults: %+v", c)
	}
	// A sips: server turns SIPS on and implies TLS, in either mode.
	p, err = sip.New(sip.Config{Server: "SIPS:pbx.example.com, sips:10.0.0.2:5081", Username: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Config(); !c.SIPS || c.Transport != "tls" || c.Server != "pbx.example.com,10.0.0.2:5081" || c.Domain != "pbx.example.com" {
		t.Errorf("sips: server: %+v", c)
	}
}
