package sip_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// TestSRVAndFailover: the server is a name looked up with DNS SRV; its
// first target does not answer, so the phone registers with the second.
func TestSRVAndFailover(t *testing.T) {
	t.Parallel()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	dead := siptest.FreePort(t) // nothing listens there
	lookup := func(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
		if service != "sip" || proto != "udp" || name != "pbx.bpclient.test" {
			t.Errorf("SRV lookup %s %s %s", service, proto, name)
		}
		return "", []*net.SRV{
			{Target: "127.0.0.1.", Port: uint16(k.Port), Priority: 20, Weight: 10},
			{Target: "127.0.0.1.", Port: uint16(dead), Priority: 10, Weight: 10},
		}, nil
	}
	p, ev := startPhone(t, sip.Config{Server: "pbx.bpclient.test", Domain: "127.0.0.1", Username: "1001", Password: "secret1",
		LocalIP: "127.0.0.1", RequestTimeout: 500 * time.Millisecond, RetryMin: 100 * time.Millisecond, RetryMax: 200 * time.Millisecond},
		sip.WithSRVLookup(lookup))
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	rs := ev.waitReg(t, sip.Registered)
	if rs.Server != "127.0.0.1:"+strconv.Itoa(k.Port) {
		t.Errorf("registered with %s, want the second SRV target", rs.Server)
	}
	// It tried the first (priority 10) target first, and said so.
	states := ev.regStates()
	if len(states) < 2 || states[0][:len(sip.Failed)] != sip.Failed {
		t.Errorf("states %v: want a failure on the dead server first", states)
	}
}

// TestTwoServersListed: "a,b" in Server; a is dead.
func TestTwoServersListed(t *testing.T) {
	t.Parallel()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	dead := siptest.FreePort(t)
	p, ev := startPhone(t, sip.Config{Server: "127.0.0.1:" + strconv.Itoa(dead) + ", " + k.Addr(), Domain: "127.0.0.1",
		Username: "1002", Password: "secret2", RequestTimeout: 500 * time.Millisecond, RetryMin: 100 * time.Millisecond})
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	if rs := ev.waitReg(t, sip.Registered); rs.Server != k.Addr() {
		t.Errorf("registered with %s", rs.Server)
	}
}
