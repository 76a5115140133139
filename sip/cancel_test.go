package sip_test

import (
	"context"
	"net"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// TestCancelAfterLateTrying: the proxy's 100 Trying to a retransmitted
// INVITE arrives after the callee's 180 (as Kamailio's does on a busy
// machine). Hanging up must still send the CANCEL to the proxy, along the
// 180's Record-Route, and not to the Request-URI's host.
func TestCancelAfterLateTrying(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxy := pc.LocalAddr().String()
	cancelled := make(chan struct{})
	done := make(chan struct{})
	defer func() { pc.Close(); <-done }()
	go func() {
		defer close(done)
		var invite *sipmsg.Request
		send := func(res *sipmsg.Response, to net.Addr) { _, _ = pc.WriteTo([]byte(res.String()), to) }
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			msg, err := sipmsg.ParseMessage(append([]byte(nil), buf[:n]...))
			req, ok := msg.(*sipmsg.Request)
			if err != nil || !ok {
				continue
			}
			switch req.Method {
			case sipmsg.INVITE:
				if invite != nil {
					continue // a retransmission
				}
				invite = req
				send(sipmsg.NewResponseFromRequest(req, 100, "Trying", nil), from)
				ringing := sipmsg.NewResponseFromRequest(req, 180, "Ringing", nil)
				ringing.To().Params.Add("tag", "callee1")
				ringing.AppendHeader(sipmsg.NewHeader("Record-Route", "<sip:"+proxy+";lr>"))
				ringing.AppendHeader(sipmsg.NewHeader("Contact", "<sip:1002@192.0.2.1:5060>"))
				send(ringing, from)
				time.Sleep(50 * time.Millisecond)
				send(sipmsg.NewResponseFromRequest(req, 100, "Trying", nil), from)
			case sipmsg.CANCEL:
				send(sipmsg.NewResponseFromRequest(req, 200, "OK", nil), from)
				if invite != nil {
					term := sipmsg.NewResponseFromRequest(invite, 487, "Request Terminated", nil)
					term.To().Params.Add("tag", "callee1")
					send(term, from)
				}
				select {
				case <-cancelled:
				default:
					close(cancelled)
				}
			}
		}
	}()

	// The Request-URI's host does not exist: a CANCEL sent there is lost.
	p, ev := startPhone(t, sip.Config{Server: proxy, Domain: "callee.invalid", Username: "1001", Password: "x",
		LocalIP: "127.0.0.1"})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := p.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	ev.waitCall(t, sip.StateRinging)
	time.Sleep(300 * time.Millisecond) // the late 100 has arrived
	hctx, hcancel := context.WithTimeout(ctx, 5*time.Second)
	defer hcancel()
	if err := c.Hangup(hctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cancelled:
	case <-time.After(sip.HangGuard):
		t.Fatalf("hang guard (%v): the proxy got no CANCEL", sip.HangGuard)
	}
	if end := ev.waitCall(t, sip.StateEnded); end.Reason != "cancelled" {
		t.Errorf("end reason %q", end.Reason)
	}
}

// TestCancelThroughServer: the server (Kamailio as an outbound proxy that
// does not record-route) is not the Request-URI's host:port, and no
// response names it in a Record-Route. Hanging up while baresip rings
// must send the CANCEL where the INVITE went (RFC 3261 §9.1): Kamailio
// relays it, baresip stops ringing, and the call ends as cancelled.
func TestCancelThroughServer(t *testing.T) {
	t.Parallel()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{NoRecordRoute: true})
	b := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(),
		Source: writeToneFor(t, 440, 8000, 10*time.Second), Answer: "manual"})
	// The Request-URI is sip:1002@127.0.0.1, port 5060 implied: Kamailio
	// takes it as its own, but listens on another port.
	p, ev := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1001", Password: "secret1",
		RTPPortMin: 32000, RTPPortMax: 39999})
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s\nbaresip:\n%s", k.Log(), b.Log())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := p.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	ev.waitCall(t, sip.StateRinging)
	if !b.WaitLog("Incoming call from", sip.HangGuard) {
		t.Fatalf("hang guard (%v): baresip does not ring", sip.HangGuard)
	}
	hctx, hcancel := context.WithTimeout(ctx, 10*time.Second)
	defer hcancel()
	if err := c.Hangup(hctx); err != nil {
		t.Fatal(err)
	}
	if end := ev.waitCall(t, sip.StateEnded); end.Reason != "cancelled" {
		t.Errorf("end reason %q", end.Reason)
	}
	if n := k.WaitCount(1, 5*time.Second, "REQ CANCEL sip:1002@127.0.0.1", "from 127.0.0.1"); n < 1 {
		t.Errorf("kamailio saw no CANCEL")
	}
	if !b.WaitLog("session closed", sip.HangGuard) {
		t.Errorf("hang guard (%v): baresip did not stop ringing", sip.HangGuard)
	}
}
