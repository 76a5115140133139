package siptls_test

import (
	"testing"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip/siptls"
)

// TestKamailioTLS: the test registrar's TLS listener completes a
// handshake with the secure-mode configuration when it trusts the CA,
// and is refused as "unknown authority" when it does not.
func TestKamailioTLS(t *testing.T) {
	t.Parallel()
	ca := siptest.NewCA(t, "bpclient test CA")
	sc := ca.Loopback(t)
	k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: &sc})
	cfg, err := siptls.ClientConfig(siptls.Options{CAPEM: ca.PEM})
	if err != nil {
		t.Fatal(err)
	}
	if err := dial(k.TLSAddr(), "127.0.0.1", cfg); err != nil {
		t.Fatalf("handshake with kamailio: %v\n%s", err, k.Log())
	}
	cfg, _ = siptls.ClientConfig(siptls.Options{})
	if r, _ := siptls.Classify(dial(k.TLSAddr(), "127.0.0.1", cfg)); r != siptls.ReasonUnknownAuthority {
		t.Fatalf("system roots only: %q", r)
	}
}
