package sip_test

import (
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// optionsFrom1001 counts the OPTIONS Kamailio got from the phone over
// transport ("tcp", "tls", "udp").
func optionsFrom1001(k *siptest.Kamailio, transport string) int {
	return k.Count("REQ OPTIONS", "/"+transport+" (sip:1001@")
}

// TestKeepAliveCRLF: registered over TCP and TLS, the phone keeps alive
// with RFC 5626 CRLF pings that Kamailio pongs, and sends no OPTIONS.
// When the pongs stop (Kamailio frozen), the registration is lost; it
// comes back by itself when Kamailio does.
func TestKeepAliveCRLF(t *testing.T) {
	t.Parallel()
	ca := siptest.NewCA(t, "bpclient test CA")
	for _, transport := range []string{"tcp", "tls"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			cert := ca.Loopback(t)
			k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: &cert})
			cfg := sip.Config{Server: k.Addr(), Transport: transport, Domain: "127.0.0.1", Username: "1001", Password: "secret1",
				KeepAlive: 200 * time.Millisecond, RequestTimeout: time.Second, RetryMin: 200 * time.Millisecond, RetryMax: time.Second}
			if transport == "tls" {
				cfg.Server, cfg.CAPEM = k.TLSAddr(), ca.PEM
			}
			p, ev := startPhone(t, cfg)
			if err := p.Register(); err != nil {
				t.Fatal(err)
			}
			ev.waitReg(t, sip.Registered)
			time.Sleep(1500 * time.Millisecond)
			if n := p.PongsForTest(); n < 3 {
				t.Errorf("%d pongs in 1.5 s of 200 ms keep-alives", n)
			}
			if n := optionsFrom1001(k, transport); n != 0 {
				t.Errorf("%d OPTIONS keep-alives over %s", n, transport)
			}
			if states := ev.regStates(); len(states) != 1 {
				t.Errorf("registration changed while pongs came: %v", states)
			}

			k.Pause()
			lost := ev.waitReg(t, sip.Lost)
			if !strings.Contains(lost.Reason, "no CRLF pong") {
				t.Errorf("lost reason %q", lost.Reason)
			}
			k.Continue()
			ev.waitReg(t, sip.Registered)
			if n := optionsFrom1001(k, transport); n != 0 {
				t.Errorf("%d OPTIONS keep-alives over %s after the outage", n, transport)
			}
		})
	}
}

// TestKeepAliveNoPong: a server that ignores CRLF pings (but answers
// OPTIONS) is kept alive with OPTIONS instead, and the registration stays
// up.
func TestKeepAliveNoPong(t *testing.T) {
	t.Parallel()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{NoCRLFPong: true})
	p, ev := startPhone(t, sip.Config{Server: k.Addr(), Transport: "tcp", Domain: "127.0.0.1", Username: "1001", Password: "secret1",
		KeepAlive: 200 * time.Millisecond, RequestTimeout: 500 * time.Millisecond})
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	time.Sleep(2500 * time.Millisecond)
	if n := p.PongsForTest(); n != 0 {
		t.Errorf("%d pongs from a server that does not pong", n)
	}
	if n := optionsFrom1001(k, "tcp"); n < 3 {
		t.Errorf("%d OPTIONS keep-alives after the server ignored the CRLF ping", n)
	}
	if states := ev.regStates(); len(states) != 1 {
		t.Errorf("registration changed: %v", states)
	}
}
