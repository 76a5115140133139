package sip_test

import (
	"context"
	"fmt"
	"net"
	"os"
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
			// Kamailio's log of the first REGISTER may come after the
			// failure it caused; a second would have come before that.
			k.WaitCount(1, 30*time.Second, "REQ REGISTER")
			if n := k.Count("REQ REGISTER"); n != 1 {
				t.Errorf("kamailio saw %d REGISTERs, want 1 (none with a digest):\n%s", n, k.Log())
			}
		})
	}
}

// openFDs lists this process's open file descriptors (the phone runs in
// it) with what each refers to.
func openFDs(t *testing.T) map[string]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("list file descriptors: %v", err)
	}
	out := make(map[string]string, len(ents))
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		out[e.Name()] = target
	}
	return out
}

// newFDs are the descriptors of now that were not open before.
func newFDs(before, now map[string]string) []string {
	var out []string
	for fd, target := range now {
		if before[fd] != target {
			out = append(out, fd+" -> "+target)
		}
	}
	return out
}

// floodINVITE is an INVITE with an offer and a forged caller id, as the
// attack of issue 9 sent them.
func floodINVITE(from *net.UDPConn, i int) []byte {
	la := from.LocalAddr()
	body := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
	return []byte(fmt.Sprintf("INVITE sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKflood%d;rport\r\n"+
		"Max-Forwards: 70\r\nFrom: \"Your Bank Fraud Dept\" <sip:bank@127.0.0.1>;tag=fl%d\r\nTo: <sip:1001@127.0.0.1>\r\n"+
		"Call-ID: flood-%d-%s\r\nCSeq: 1 INVITE\r\nContact: <sip:bank@%s>\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		la, i, i, i, la, la, len(body), body))
}

func floodOPTIONS(la net.Addr, i int) []byte {
	return []byte(fmt.Sprintf("OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKscan%d;rport\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:scan@127.0.0.1>;tag=sc%d\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: scan-%d-%s\r\n"+
		"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", la, i, i, i, la))
}

// TestStrangerFlood: while a call through Kamailio runs, strangers (a
// socket on 127.0.0.2, and one on 127.0.0.1 beside Kamailio but on another
// port) send 300 INVITEs each and OPTIONS. None is answered, none rings,
// the call keeps its audio both ways, and the phone holds no more file
// descriptors or calls (RTP ports) than before.
func TestStrangerFlood(t *testing.T) {
	// Not parallel: it counts the file descriptors of the whole test
	// process, which parallel tests would change.
	pe := setupCall(t, []string{"PCMU"}, nil, "auto")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dialConnected(ctx, t, pe, "1002")
	strangers := []*net.UDPConn{strangerConn(t, pe.phone.LocalAddr())}
	beside, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, strangers[0].RemoteAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer beside.Close()
	strangers = append(strangers, beside)
	// The baseline once media runs (its clock's descriptor is open).
	pe.ev.waitEvent(t, sip.EventQualityReport)
	fds := openFDs(t)

	// In bursts of 20 per stranger: the kernel drops what overflows the
	// phone's socket buffer, and every datagram must reach the filter.
	const invites, options = 300, 30
	sent := uint64(0)
	for i := range invites {
		for _, s := range strangers {
			msgs := [][]byte{floodINVITE(s, i)}
			if i < options {
				msgs = append(msgs, floodOPTIONS(s.LocalAddr(), i))
			}
			for _, m := range msgs {
				if _, err := s.Write(m); err != nil {
					t.Fatal(err)
				}
				sent++
			}
		}
		if i%10 == 9 {
			waitDropped(t, pe.phone, sent)
		}
	}
	waitDropped(t, pe.phone, sent)
	if want := uint64(len(strangers) * (invites + options)); sent != want {
		t.Fatalf("sent %d, want %d", sent, want)
	}
	buf := make([]byte, 2048)
	for _, s := range strangers {
		_ = s.SetReadDeadline(time.Now().Add(time.Millisecond))
		if n, err := s.Read(buf); err == nil {
			t.Errorf("a stranger at %s got an answer: %q", s.LocalAddr(), buf[:min(n, 60)])
		}
	}
	if got := openFDs(t); len(got) != len(fds) {
		t.Errorf("open file descriptors %d after the flood, %d before; new: %v", len(got), len(fds), newFDs(fds, got))
	}
	if cs := pe.phone.Calls(); len(cs) != 1 {
		t.Errorf("calls after the flood: %+v", cs)
	}
	pe.ev.mu.Lock()
	for _, e := range pe.ev.all {
		if e.name == sip.EventCallIncoming {
			t.Errorf("call.incoming for a stranger: %+v", e.params)
		}
	}
	pe.ev.mu.Unlock()

	// The call went on: audio both ways, after the flood too.
	time.Sleep(2 * time.Second)
	hangupHeardBothWays(ctx, t, pe, c)
}

// TestWrongTagsGet481: a BYE and a re-INVITE through Kamailio with the
// call's Call-ID but another To tag get 481 and change nothing; the BYE
// with the dialog's tags ends the call.
func TestWrongTagsGet481(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, ev, lc, c := lateCallUp(ctx, t)

	right := lc.toHdr
	i := strings.Index(right, ";tag=")
	if i < 0 {
		t.Fatalf("no To tag in %q", right)
	}
	lc.toHdr = right[:i] + ";tag=not-our-tag"
	lc.request("BYE", 2, "")
	lc.response("481")
	lc.request("INVITE", 3, "v=0\r\no=late 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n")
	lc.response("481")
	if st := c.State(); st.State != sip.StateConnected {
		t.Errorf("after requests with wrong tags the call is %+v", st)
	}
	for _, s := range ev.callStates() {
		if strings.HasPrefix(s, sip.StateEnded) || strings.HasPrefix(s, sip.StateRemoteHeld) {
			t.Errorf("a request with wrong tags changed the call: %v", ev.callStates())
		}
	}
	lc.toHdr = right
	lc.request("BYE", 4, "")
	lc.response("200")
	if end := ev.waitCall(t, sip.StateEnded); end.Reason != "remote hangup" {
		t.Errorf("end reason %q", end.Reason)
	}
}

// TestRingCapAndTimeout: of six calls ringing in through Kamailio at
// once, four ring and two get 486 Busy Here; the four end after the ring
// timeout with that reason, and their callers get 480. Then a new call
// rings again.
func TestRingCapAndTimeout(t *testing.T) {
	// Not parallel: it counts the file descriptors of the whole test
	// process, which parallel tests would change.
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	p, ev := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1001", Password: "secret1",
		RTPPortMin: 32000, RTPPortMax: 39999, RingTimeout: 2 * time.Second})
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	// Each caller holds two sockets of its own (SIP and RTP) in this
	// process; what the phone held for the calls must come back.
	fds := openFDs(t)
	var ringing []*lateCaller
	for range 4 {
		lc := newLateCaller(t, k.Addr())
		lc.request("INVITE", 1, "")
		lc.response("180")
		ringing = append(ringing, lc)
	}
	for range 2 {
		lc := newLateCaller(t, k.Addr())
		lc.request("INVITE", 1, "")
		lc.response("486")
	}
	for _, lc := range ringing {
		lc.response("480")
	}
	ended := 0
	for _, s := range ev.callStates() {
		if s == sip.StateEnded+":"+sip.ReasonRingTimeout {
			ended++
		}
	}
	if ended != 4 {
		t.Errorf("%d calls ended by the ring timeout, want 4: %v", ended, ev.callStates())
	}
	if got, want := openFDs(t), len(fds)+2*6; len(got) != want {
		t.Errorf("open file descriptors %d after the calls ended, want %d (the callers' own); new: %v", len(got), want, newFDs(fds, got))
	}
	if cs := p.Calls(); len(cs) != 0 {
		t.Errorf("calls left: %+v", cs)
	}
	lc := newLateCaller(t, k.Addr())
	lc.request("INVITE", 1, "")
	lc.response("180")
}

// TestStrangerTCP: a phone on TCP closes a stranger's connection at
// accept: no byte comes back to its OPTIONS, the drop is counted, and
// the phone stays registered.
func TestStrangerTCP(t *testing.T) {
	t.Parallel()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	p, ev := startPhone(t, sip.Config{Server: k.Addr(), Transport: "tcp", Domain: "127.0.0.1", Username: "1001", Password: "secret1"})
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	for i := range 20 {
		conn, err := d.Dial("tcp", p.LocalAddr())
		if err != nil {
			t.Fatal(err)
		}
		msg := strings.Replace(string(floodOPTIONS(conn.LocalAddr(), i)), "Via: SIP/2.0/UDP", "Via: SIP/2.0/TCP", 1)
		_, _ = conn.Write([]byte(msg)) // may fail: the phone closes at once
		_ = conn.SetReadDeadline(time.Now().Add(sip.HangGuard))
		buf := make([]byte, 512)
		n, err := conn.Read(buf)
		if n > 0 {
			t.Errorf("the stranger got %q", buf[:n])
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("hang guard (%v): the phone kept a stranger's connection open", sip.HangGuard)
		}
		conn.Close()
	}
	waitDropped(t, p, 20)
	if rs := p.Registration(); rs.State != sip.Registered {
		t.Errorf("registration %+v", rs)
	}
}

// TestSecureCallForeignRealm: a secure phone's INVITE challenged (407)
// for a realm other than its domain is not answered: the call ends with
// the reason and Kamailio sees one INVITE, never one with credentials.
func TestSecureCallForeignRealm(t *testing.T) {
	t.Parallel()
	ca := siptest.NewCA(t, "bpclient test CA")
	cert := ca.Loopback(t)
	k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: &cert, Realm: "pbx.realm.example"})
	p, ev := startPhone(t, sip.Config{Mode: "secure", Server: k.TLSAddr(), Domain: "127.0.0.1", Username: "1001", Password: "secret1",
		CAPEM: ca.PEM, RTPPortMin: 32000, RTPPortMax: 39999})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.Dial(ctx, "1002"); err != nil {
		t.Fatal(err)
	}
	end := ev.waitCall(t, sip.StateEnded)
	if !strings.Contains(end.Reason, `realm "pbx.realm.example"`) || !strings.Contains(end.Reason, "no digest") {
		t.Errorf("end reason %q", end.Reason)
	}
	k.WaitCount(1, 30*time.Second, "REQ INVITE", "/tls") // logged maybe after the end it caused
	if n := k.Count("REQ INVITE", "/tls"); n != 1 {
		t.Errorf("kamailio saw %d INVITEs, want 1 (none with a digest):\n%s", n, k.Log())
	}
}
