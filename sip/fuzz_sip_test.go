package sip_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip"
)

// FuzzIncomingRequest sends hostile requests to a running phone over UDP:
// any method, To tag or not, any Content-Type, one extra header (Replaces,
// Refer-To, …) and body (SDP offers,
// re-INVITEs, BYE, INFO, REFER, NOTIFY for unknown dialogs). The phone
// must answer with a well-formed SIP response or stay silent, never end
// up with a call it did not refuse, and keep answering OPTIONS. The same
// request from a stranger (127.0.0.2, not trusted) is dropped unparsed:
// counted, never answered.
func FuzzIncomingRequest(f *testing.F) {
	f.Add("INVITE", false, "application/sdp", "", []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"))
	f.Add("INVITE", false, "application/sdp", "", []byte("v=0\r\nm=audio 0 RTP/AVP\r\n"))
	f.Add("INVITE", true, "application/sdp", "", []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n"))
	f.Add("BYE", true, "", "", []byte(nil))
	f.Add("NOTIFY", true, "message/sipfrag", "", []byte("SIP/2.0 200 OK"))
	f.Add("REFER", true, "", "", []byte(nil))
	f.Add("INFO", true, "application/dtmf-relay", "", []byte("Signal=5\r\nDuration=160\r\n"))
	f.Add("OPTIONS", false, "", "", []byte(nil))
	// Transfers (transfer.go): Replaces naming no call, REFER with and
	// without a Replaces in its Refer-To, sipfrag NOTIFYs.
	f.Add("INVITE", false, "application/sdp", "Replaces: abc@h;to-tag=1;from-tag=2", []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"))
	f.Add("INVITE", false, "application/sdp", "Replaces: abc;early-only", []byte(nil))
	f.Add("REFER", true, "", "Refer-To: <sip:1003@127.0.0.1?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>", []byte(nil))
	f.Add("REFER", true, "", "Refer-To: sip:1003@127.0.0.1", []byte(nil))
	f.Add("NOTIFY", true, "message/sipfrag;version=2.0", "Event: refer", []byte("SIP/2.0 486 Busy Here\r\n"))

	var p *sip.Phone
	// The fuzzer's socket is a trusted peer (127.0.0.1, any port); a
	// stranger's (127.0.0.2) sends the same and must get nothing.
	p, err := sip.New(sip.Config{Server: "127.0.0.1:9", Domain: "127.0.0.1", Username: "1001", Password: "x", LocalIP: "127.0.0.1",
		TrustedPeers: []string{"127.0.0.1"}},
		sip.WithEvents(func(name string, params any) {
			// Refuse every call that rings, so that none is left behind.
			if in, ok := params.(sip.IncomingCall); ok {
				go func() {
					time.Sleep(5 * time.Millisecond)
					if c, err := p.Call(in.CallID); err == nil {
						_ = c.Reject(context.Background(), 486)
					}
				}()
			}
		}))
	if err != nil {
		f.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		f.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Close(ctx)
	}()
	conn, err := net.Dial("udp", p.LocalAddr())
	if err != nil {
		f.Fatal(err)
	}
	defer conn.Close()
	stranger := strangerConn(f, p.LocalAddr())
	n := 0
	f.Fuzz(func(t *testing.T, method string, toTag bool, ctype string, hdr string, body []byte) {
		if method == "" || strings.ContainsAny(method, " \r\n:") || len(method) > 16 || strings.ContainsAny(ctype, "\r\n") || len(body) > 4000 {
			return
		}
		if strings.ContainsAny(hdr, "\r\n") || len(hdr) > 1000 || (hdr != "" && !strings.Contains(hdr, ":")) {
			return
		}
		n++
		branch := fmt.Sprintf("z9hG4bKfuzz%d%d", n, time.Now().UnixNano())
		tag := ""
		if toTag {
			tag = ";tag=remote"
		}
		lp := conn.LocalAddr().(*net.UDPAddr).Port
		var b bytes.Buffer
		fmt.Fprintf(&b, "%s sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n", method, lp, branch)
		fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:fuzz@127.0.0.1>;tag=f%d\r\nTo: <sip:1001@127.0.0.1>%s\r\n", n, tag)
		fmt.Fprintf(&b, "Call-ID: fuzz-%d\r\nCSeq: 1 %s\r\nContact: <sip:fuzz@127.0.0.1:%d>\r\n", n, method, lp)
		if ctype != "" {
			fmt.Fprintf(&b, "Content-Type: %s\r\n", ctype)
		}
		if hdr != "" {
			fmt.Fprintf(&b, "%s\r\n", hdr)
		}
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
		b.Write(body)
		if _, err := conn.Write(b.Bytes()); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 8192)
		_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if k, err := conn.Read(buf); err == nil {
			if !bytes.HasPrefix(buf[:k], []byte("SIP/2.0 ")) {
				t.Fatalf("not a SIP response: %q", buf[:min(k, 80)])
			}
		}
		// The stranger's copy is dropped before parsing: counted, and
		// never answered.
		dropped := p.DroppedSIP()
		if _, err := stranger.Write(b.Bytes()); err != nil {
			t.Fatal(err)
		}
		waitDropped(t, p, dropped+1)
		_ = stranger.SetReadDeadline(time.Now().Add(time.Millisecond))
		if k, err := stranger.Read(buf); err == nil {
			t.Fatalf("a stranger got an answer to %s: %q", method, buf[:min(k, 80)])
		}
		// Still alive: OPTIONS is answered.
		drain(conn)
		opt := fmt.Sprintf("OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKopt%d%d\r\nMax-Forwards: 70\r\n"+
			"From: <sip:fuzz@127.0.0.1>;tag=o%d\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: opt-%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
			lp, n, time.Now().UnixNano(), n, n)
		if _, err := conn.Write([]byte(opt)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(sip.HangGuard)
		for {
			_ = conn.SetReadDeadline(deadline)
			k, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("hang guard (%v): the phone stopped answering OPTIONS after %s", sip.HangGuard, method)
			}
			if bytes.Contains(buf[:k], []byte(fmt.Sprintf("Call-ID: opt-%d", n))) {
				break
			}
		}
		// Rung calls get refused; nothing stays up.
		time.Sleep(20 * time.Millisecond)
		for _, c := range p.Calls() {
			if c.State == sip.StateConnected {
				t.Fatalf("a call got connected: %+v", c)
			}
		}
	})
}

// strangerConn is a UDP socket on 127.0.0.2, an address the phone does
// not trust, connected to addr.
func strangerConn(tb testing.TB, addr string) *net.UDPConn {
	tb.Helper()
	ra, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}, ra)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// waitDropped waits, up to the hang guard, until the phone has dropped at
// least n messages from strangers.
func waitDropped(tb testing.TB, p *sip.Phone, n uint64) {
	tb.Helper()
	deadline := time.Now().Add(sip.HangGuard)
	for p.DroppedSIP() < n {
		if time.Now().After(deadline) {
			tb.Fatalf("hang guard (%v): %d of %d messages from strangers dropped", sip.HangGuard, p.DroppedSIP(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func drain(c net.Conn) {
	buf := make([]byte, 8192)
	for {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}
