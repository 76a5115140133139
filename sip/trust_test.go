package sip_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// srvTo answers every SRV lookup with one target.
func srvTo(host string, port int) sip.Option {
	return sip.WithSRVLookup(func(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
		return "", []*net.SRV{{Target: host + ".", Port: uint16(port)}}, nil
	})
}

func tlsPort(t *testing.T, k *siptest.Kamailio) int {
	t.Helper()
	_, ps, _ := net.SplitHostPort(k.TLSAddr())
	port, err := strconv.Atoi(ps)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// TestSecureSpoofedSRV: with server "pbx.example.com", an SRV answer
// pointing at a host whose certificate (from a trusted CA) names only that
// host gets no REGISTER: the handshake may happen, no SIP request follows,
// and the reason names both names. The real server, whose certificate
// names pbx.example.com, registers wherever SRV sends us.
func TestSecureSpoofedSRV(t *testing.T) {
	t.Parallel()
	ca := siptest.NewCA(t, "bpclient test CA")
	loop := []net.IP{net.IPv4(127, 0, 0, 1)}
	t.Run("impostor", func(t *testing.T) {
		t.Parallel()
		cert := ca.Issue(t, siptest.CertOptions{IPs: loop})
		k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: &cert})
		p, ev := startPhone(t, sip.Config{Mode: "secure", Server: "pbx.example.com", Username: "1001", Password: "secret1",
			CAPEM: ca.PEM, TLSNoSystemRoots: true, RetryMin: 100 * time.Millisecond}, srvTo("127.0.0.1", tlsPort(t, k)))
		if err := p.Register(); err != nil {
			t.Fatal(err)
		}
		rs := ev.waitReg(t, sip.Failed)
		for _, want := range []string{"127.0.0.1:" + strconv.Itoa(tlsPort(t, k)), "pbx.example.com", "wrong name"} {
			if !strings.Contains(rs.Reason, want) {
				t.Errorf("reason %q does not name %q", rs.Reason, want)
			}
		}
		if n := k.Count("REQ ", "/tls"); n != 0 {
			t.Errorf("the impostor received %d SIP requests:\n%s", n, k.Log())
		}
	})
	t.Run("real", func(t *testing.T) {
		t.Parallel()
		cert := ca.Issue(t, siptest.CertOptions{DNSNames: []string{"pbx.example.com"}})
		k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: &cert})
		p, ev := startPhone(t, sip.Config{Mode: "secure", Server: "pbx.example.com", Username: "1001", Password: "secret1",
			CAPEM: ca.PEM, TLSNoSystemRoots: true}, srvTo("127.0.0.1", tlsPort(t, k)))
		if err := p.Register(); err != nil {
			t.Fatal(err)
		}
		ev.waitReg(t, sip.Registered)
	})
}

// TestSecureForeignRealm: a secure server that challenges for a realm
// other than the configured domain gets no digest: Kamailio sees one
// REGISTER (the unauthenticated first), never a second with credentials.
// authRealm names the realm when a PBX's differs; plain mode answers it.
func TestSecureForeignRealm(t *testing.T) {
	t.Parallel()
	ca := siptest.NewCA(t, "bpclient test CA")
	cert := ca.Loopback(t)
	for _, tc := range []struct {
		name, mode, authRealm string
		registers             bool
	}{
		{"secure", "secure", "", false},
		{"secure-authRealm", "secure", "pbx.realm.example", true},
		{"plain", "softphone", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: &cert, Realm: "pbx.realm.example"})
			p, ev := startPhone(t, sip.Config{Mode: tc.mode, Transport: "tls", Server: k.TLSAddr(), Domain: "127.0.0.1",
				Username: "1001", Password: "secret1", CAPEM: ca.PEM, AuthRealm: tc.authRealm, RetryMin: 100 * time.Millisecond})
			if err := p.Register(); err != nil {
				t.Fatal(err)
			}
			if tc.registers {
				ev.waitReg(t, sip.Registered)
				return
			}
			rs := ev.waitReg(t, sip.Failed)
			if !strings.Contains(rs.Reason, `realm "pbx.realm.example"`) || !strings.Contains(rs.Reason, "no digest") {
				t.Errorf("reason %q", rs.Reason)
			}
			if n := k.Count("REQ REGISTER"); n != 1 {
				t.Errorf("kamailio saw %d REGISTERs, want 1 (none with a digest):\n%s", n, k.Log())
			}
		})
	}
}
