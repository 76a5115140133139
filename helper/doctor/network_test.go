package doctor_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/internal/siptest"
)

// runNetwork runs the network checks for target as the CLI would.
func runNetwork(t *testing.T, target doctor.PhoneTarget) (server, rtp doctor.Result) {
	t.Helper()
	d := doctor.New(nil, doctor.NetworkCheck(func(context.Context) doctor.PhoneTarget { return target }))
	rep := d.Run(context.Background(), doctor.View{Local: true})
	server, ok := rep.Find("network.sip")
	if !ok {
		t.Fatalf("no network.sip check in %+v", rep.Checks)
	}
	rtp, ok = rep.Find("network.rtp")
	if !ok {
		t.Fatalf("no network.rtp check in %+v", rep.Checks)
	}
	return server, rtp
}

// TestNetworkCheckKamailio: a real Kamailio answers on UDP (OPTIONS), TCP
// and TLS; stopped, it is a failure on each transport with the fix.
func TestNetworkCheckKamailio(t *testing.T) {
	ca := siptest.NewCA(t, "network check CA")
	cert := ca.Loopback(t)
	k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: &cert})
	if k == nil {
		return
	}
	targets := map[string]doctor.PhoneTarget{
		"udp": {Configured: true, Server: k.Addr(), Transport: "udp"},
		"tcp": {Configured: true, Server: k.Addr(), Transport: "tcp"},
		"tls": {Configured: true, Server: k.TLSAddr(), Transport: "tls"},
	}
	for tr, target := range targets {
		server, rtp := runNetwork(t, target)
		if server.Status != doctor.OK || !strings.Contains(server.Found, "answers on "+strings.ToUpper(tr)) {
			t.Errorf("%s with Kamailio up: %+v", tr, server)
		}
		if rtp.Status != doctor.OK {
			t.Errorf("%s: rtp %+v", tr, rtp)
		}
	}
	k.Stop()
	for tr, target := range targets {
		start := time.Now()
		server, _ := runNetwork(t, target)
		if server.Status != doctor.Failed || server.Fix == "" ||
			!(strings.HasPrefix(server.Found, doctor.FailureUnreachable) || strings.HasPrefix(server.Found, doctor.FailureTimeout)) {
			t.Errorf("%s with Kamailio stopped: %+v", tr, server)
		}
		if took := time.Since(start); took > 8*time.Second {
			t.Errorf("%s: the probe took %v", tr, took)
		}
	}
}

// TestNetworkCheckSilentServer: a UDP port that takes datagrams and never
// answers is "does not answer", not "ok".
func TestNetworkCheckSilentServer(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 4096)
		n, _, err := pc.ReadFrom(buf)
		if err == nil {
			got <- string(buf[:n])
		}
	}()
	server, _ := runNetwork(t, doctor.PhoneTarget{Configured: true, Server: pc.LocalAddr().String()})
	if server.Status != doctor.Failed || !strings.HasPrefix(server.Found, doctor.FailureTimeout) {
		t.Errorf("a silent server: %+v", server)
	}
	select {
	case req := <-got:
		if !strings.HasPrefix(req, "OPTIONS sip:") || !strings.Contains(req, "\r\nCall-ID: ") {
			t.Errorf("the probe sent %q, want an OPTIONS", req)
		}
	default:
		t.Error("the probe sent nothing")
	}
}

// TestNetworkCheckUnknownName: a server name that does not resolve.
func TestNetworkCheckUnknownName(t *testing.T) {
	server, _ := runNetwork(t, doctor.PhoneTarget{Configured: true, Server: "pbx.bpclient-doctor.invalid", Transport: "tls"})
	if server.Status != doctor.Failed || !strings.HasPrefix(server.Found, doctor.FailureNameNotResolved) || server.Fix == "" {
		t.Errorf("an unknown name: %+v", server)
	}
}

// TestNetworkCheckNoPhone: nothing to probe is ok, and pages get no
// network checks.
func TestNetworkCheckNoPhone(t *testing.T) {
	server, _ := runNetwork(t, doctor.PhoneTarget{})
	if server.Status != doctor.OK || server.Found != "no phone is set up" {
		t.Errorf("no phone: %+v", server)
	}
	d := doctor.New(nil, doctor.NetworkCheck(func(context.Context) doctor.PhoneTarget {
		return doctor.PhoneTarget{Configured: true, Server: "127.0.0.1:1"}
	}))
	if rep := d.Run(context.Background(), doctor.View{Origin: "https://agent.example.test"}); len(rep.Checks) != 0 {
		t.Errorf("a page got %+v", rep.Checks)
	}
}

// TestNetworkCheckRTPPortsTaken: every audio port of the range is held
// by another program: the check fails and says so.
func TestNetworkCheckRTPPortsTaken(t *testing.T) {
	var held []net.PacketConn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// A range of two pairs, all four ports held.
	var lo int
	for try := 0; try < 50 && lo == 0; try++ {
		base := 40000 + 2*try*7
		var got []net.PacketConn
		for p := base; p < base+4; p++ {
			c, err := net.ListenPacket("udp", ":"+strconv.Itoa(p))
			if err != nil {
				break
			}
			got = append(got, c)
		}
		if len(got) == 4 {
			lo, held = base, got
			break
		}
		for _, c := range got {
			c.Close()
		}
	}
	if lo == 0 {
		t.Fatal("no four free UDP ports in a row to hold")
	}
	_, rtp := runNetwork(t, doctor.PhoneTarget{RTPPortMin: lo, RTPPortMax: lo + 4})
	if rtp.Status != doctor.Failed || !strings.Contains(rtp.Found, "no audio port between") || rtp.Fix == "" {
		t.Errorf("ports held: %+v", rtp)
	}
	for _, c := range held {
		c.Close()
	}
	held = nil
	if _, rtp := runNetwork(t, doctor.PhoneTarget{RTPPortMin: lo, RTPPortMax: lo + 4}); rtp.Status != doctor.OK {
		t.Errorf("ports free again: %+v", rtp)
	}
}
