package sip_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// waitFor polls everything the phone emitted (without consuming it) until
// pred accepts an event, up to the hang guard.
func (e *events) waitFor(t *testing.T, what string, pred func(name string, params any) bool) any {
	t.Helper()
	deadline := time.Now().Add(sip.HangGuard)
	for {
		e.mu.Lock()
		for _, ev := range e.all {
			if pred(ev.name, ev.params) {
				e.mu.Unlock()
				return ev.params
			}
		}
		e.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("hang guard (%v): %s: not seen; call states %v", sip.HangGuard, what, e.callStates())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitState waits for a call.state that pred accepts.
func (e *events) waitState(t *testing.T, what string, pred func(cs sip.CallState) bool) sip.CallState {
	t.Helper()
	return e.waitFor(t, what, func(_ string, params any) bool {
		cs, ok := params.(sip.CallState)
		return ok && pred(cs)
	}).(sip.CallState)
}

// count counts the events pred accepts.
func (e *events) count(pred func(name string, params any) bool) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.all {
		if pred(ev.name, ev.params) {
			n++
		}
	}
	return n
}

func stateIs(id, state string) func(sip.CallState) bool {
	return func(cs sip.CallState) bool { return cs.CallID == id && cs.State == state }
}

// peer is a bpclient phone registered at k as one of siptest's users,
// its microphone a tone of freq Hz.
type peer struct {
	phone *sip.Phone
	ev    *events
	audio *testAudio
}

func startPeer(t *testing.T, k *siptest.Kamailio, user int, freq float64) *peer {
	t.Helper()
	u := siptest.DefaultUsers[user]
	audio := newTestAudio(freq)
	p, ev := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: u.Name, Password: u.Password,
		Codecs: []string{"PCMU"}, RTPPortMin: 32000, RTPPortMax: 39999}, sip.WithAudio(audio.factory))
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	return &peer{phone: p, ev: ev, audio: audio}
}

// connect dials ext (to's number) from pe; to answers. It returns both
// ends once pe's call is connected: pe's call, and to's call id.
func (pe *peer) connect(t *testing.T, ctx context.Context, to *peer, ext, what string) (*sip.Call, string) {
	t.Helper()
	c, err := pe.phone.Dial(ctx, ext)
	if err != nil {
		t.Fatal(err)
	}
	theirs := to.answerNext(t, ctx, 0)
	pe.ev.waitState(t, what+" connected", stateIs(c.ID(), sip.StateConnected))
	return c, theirs
}

// answerNext answers the next call that rings in at pe and returns its id.
func (pe *peer) answerNext(t *testing.T, ctx context.Context, skip int) string {
	t.Helper()
	n := 0
	in := pe.ev.waitFor(t, "incoming call", func(name string, _ any) bool {
		if name != sip.EventCallIncoming {
			return false
		}
		n++
		return n > skip
	}).(sip.IncomingCall)
	c, err := pe.phone.Call(in.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitState(t, "answered call connected", stateIs(in.CallID, sip.StateConnected))
	return in.CallID
}

// TestAttendedTransfer: A (1001) calls B (1002), holds it, consults C
// (1003) and transfers B to C with REFER/Replaces. B places the new call
// with Replaces, C takes it in place of its call with A, A's calls end,
// and B and C hear each other. All three are bpclient phones through
// Kamailio: baresip 1.0.0 neither sends nor honours Replaces.
func TestAttendedTransfer(t *testing.T) {
	t.Parallel()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	a := startPeer(t, k, 0, 1000)
	b := startPeer(t, k, 1, 700)
	c := startPeer(t, k, 2, 1300)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s", k.Log())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	ab, bOld := a.connect(t, ctx, b, "1002", "A-B")
	if err := ab.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	ac, cOld := a.connect(t, ctx, c, "1003", "A-C")

	if err := ab.AttendedTransfer(ctx, ab); err == nil {
		t.Error("a call transferred to itself")
	}
	if err := ab.AttendedTransfer(ctx, ac); err != nil {
		t.Fatal(err)
	}
	nb := b.ev.waitState(t, "B's new call connected", func(cs sip.CallState) bool {
		return cs.TransferredFrom == bOld && cs.State == sip.StateConnected
	})
	if !strings.Contains(nb.Remote, "1003") || nb.Direction != "outbound" {
		t.Errorf("B's new call: %+v", nb)
	}
	nc := c.ev.waitState(t, "C's replacing call connected", func(cs sip.CallState) bool {
		return cs.Replaces == cOld && cs.State == sip.StateConnected
	})
	c.ev.waitState(t, "C's old call replaced", func(cs sip.CallState) bool {
		return cs.CallID == cOld && cs.State == sip.StateEnded && cs.Reason == "replaced"
	})
	b.ev.waitState(t, "B's old call ended", func(cs sip.CallState) bool {
		return cs.CallID == bOld && cs.State == sip.StateEnded && strings.HasPrefix(cs.Reason, "transferred to sip:1003@")
	})
	for _, id := range []string{ab.ID(), ac.ID()} {
		a.ev.waitState(t, "A's call "+id+" ended as transferred", func(cs sip.CallState) bool {
			return cs.CallID == id && cs.State == sip.StateEnded && strings.HasPrefix(cs.Reason, "transferred to ")
		})
	}
	if n := c.ev.count(func(name string, _ any) bool { return name == sip.EventCallIncoming }); n != 1 {
		t.Errorf("C rang %d times; the replacing call must not ring", n)
	}
	if len(a.phone.Calls()) != 0 {
		t.Errorf("A still has calls: %+v", a.phone.Calls())
	}
	time.Sleep(2 * time.Second)
	heard, rate := b.audio.heard(nb.CallID)
	checkTone(t, "what B heard from C", heard, rate, 1300)
	heard, rate = c.audio.heard(nc.CallID)
	checkTone(t, "what C heard from B", heard, rate, 700)
	if n := k.WaitCount(1, 5*time.Second, "REQ REFER"); n != 1 {
		t.Errorf("kamailio saw %d REFERs, want 1", n)
	}
	// NOTIFY 100 Trying and NOTIFY 200 OK from B to A.
	if n := k.WaitCount(2, 5*time.Second, "REQ NOTIFY"); n < 2 {
		t.Errorf("kamailio saw %d NOTIFYs, want 2", n)
	}
	nbc, err := b.phone.Call(nb.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if err := nbc.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	c.ev.waitState(t, "C's call hung up by B", stateIs(nc.CallID, sip.StateEnded))
}

// TestAttendedTransferFails: the transfer target cannot be reached (C has
// unregistered), so B's new call fails with 404; B reports it in a NOTIFY,
// A's call says "transfer failed: 404 …" and every call stays up.
func TestAttendedTransferFails(t *testing.T) {
	t.Parallel()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	a := startPeer(t, k, 0, 1000)
	b := startPeer(t, k, 1, 700)
	c := startPeer(t, k, 2, 1300)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ab, bOld := a.connect(t, ctx, b, "1002", "A-B")
	ac, cOld := a.connect(t, ctx, c, "1003", "A-C")
	if err := c.phone.Unregister(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ab.AttendedTransfer(ctx, ac); err != nil {
		t.Fatal(err)
	}
	fail := a.ev.waitState(t, "A told the transfer failed", func(cs sip.CallState) bool {
		return cs.CallID == ab.ID() && strings.HasPrefix(cs.Reason, "transfer failed: 404")
	})
	if fail.State == sip.StateEnded {
		t.Errorf("the call ended: %+v", fail)
	}
	b.ev.waitState(t, "B's failed transfer call", func(cs sip.CallState) bool {
		return cs.TransferredFrom == bOld && cs.State == sip.StateEnded && strings.Contains(cs.Reason, "404")
	})
	b.ev.waitState(t, "B told the transfer failed", func(cs sip.CallState) bool {
		return cs.CallID == bOld && strings.Contains(cs.Reason, "failed: not found (404)")
	})
	time.Sleep(500 * time.Millisecond)
	for _, st := range []sip.CallState{ab.State(), ac.State()} {
		if st.State != sip.StateConnected {
			t.Errorf("A's call after the failed transfer: %+v", st)
		}
	}
	if cs, err := c.phone.Call(cOld); err != nil || cs.State().State != sip.StateConnected {
		t.Errorf("C's call after the failed transfer: %v", err)
	}
	if cb, err := b.phone.Call(bOld); err != nil || cb.State().State != sip.StateConnected {
		t.Errorf("B's call after the failed transfer: %v", err)
	}
}

// TestRemoteBlindTransfer: baresip (1002) transfers its call with us to
// 1003 (REFER). We accept, place the new call, report it in NOTIFYs, and
// the old call ends once the new one is up; both directions of the new
// call carry audio.
func TestRemoteBlindTransfer(t *testing.T) {
	t.Parallel()
	pe := setupCall(t, []string{"PCMU"}, nil, "auto")
	b3 := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[2], Registrar: pe.k.Addr(),
		Source: writeTone(t, 600, 8000)})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	c, err := pe.phone.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	pe.ev.waitState(t, "call to 1002 connected", stateIs(c.ID(), sip.StateConnected))
	time.Sleep(500 * time.Millisecond)
	if _, err := pe.b.Command("transfer", "sip:1003@127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	nc := pe.ev.waitState(t, "the transferred call connected", func(cs sip.CallState) bool {
		return cs.TransferredFrom == c.ID() && cs.State == sip.StateConnected
	})
	if !strings.Contains(nc.Remote, "1003") {
		t.Errorf("new call to %q", nc.Remote)
	}
	end := pe.ev.waitState(t, "the old call ended", stateIs(c.ID(), sip.StateEnded))
	if end.Reason != "transferred to sip:1003@127.0.0.1" {
		t.Errorf("old call's end reason %q", end.Reason)
	}
	if !b3.WaitLog("Call established", sip.HangGuard) {
		t.Errorf("hang guard (%v): 1003 did not get the call:\n%s", sip.HangGuard, b3.Log())
	}
	if n := pe.k.WaitCount(2, 5*time.Second, "REQ NOTIFY"); n < 2 {
		t.Errorf("kamailio saw %d NOTIFYs (want 100 Trying and 200 OK)", n)
	}
	time.Sleep(2 * time.Second)
	nCall, err := pe.phone.Call(nc.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if err := nCall.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	heard, rate := pe.audio.heard(nc.CallID)
	checkTone(t, "what we heard from 1003", heard, rate, 600)
	b3.Stop()
	_, dec := b3.Recordings()
	if len(dec) != 1 {
		t.Fatalf("1003's recordings: %v", dec)
	}
	checkWAVTone(t, "what 1003 heard", dec[0], 1000)
}

// TestReferRefused: a REFER for no call of ours is 481, one without
// Refer-To 400; an INVITE whose Replaces names nothing is 481.
func TestReferRefused(t *testing.T) {
	t.Parallel()
	p, _ := startPhone(t, sip.Config{Server: "127.0.0.1:9", Domain: "127.0.0.1", Username: "1001", Password: "x", LocalIP: "127.0.0.1",
		TrustedPeers: []string{"127.0.0.1"}})
	for _, tc := range []struct {
		method, hdr, want string
	}{
		{"REFER", "Refer-To: <sip:1003@127.0.0.1>", "SIP/2.0 481"},
		{"INVITE", "Replaces: nosuch@x;to-tag=a;from-tag=b", "SIP/2.0 481"},
		{"INVITE", "Replaces: bad value;to-tag=a", "SIP/2.0 400"},
	} {
		toTag := ""
		if tc.method == "REFER" {
			toTag = ";tag=x"
		}
		got := sendRaw(t, p.LocalAddr(), tc.method, toTag, tc.hdr)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s with %q: answered %q, want %s", tc.method, tc.hdr, firstLine(got), tc.want)
		}
	}
	if len(p.Calls()) != 0 {
		t.Errorf("calls left: %+v", p.Calls())
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\r\n")
	return l
}

var rawN int

// sendRaw sends one request over UDP and returns the first final answer.
func sendRaw(t *testing.T, addr, method, toTag, hdr string) string {
	t.Helper()
	rawN++
	body := ""
	if method == "INVITE" {
		body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
	}
	conn := dialUDP(t, addr)
	defer conn.Close()
	lp := localPort(conn)
	msg := fmt.Sprintf("%s sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKraw%d%d\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:x@127.0.0.1>;tag=f%d\r\nTo: <sip:1001@127.0.0.1>%s\r\nCall-ID: raw-%d-%d\r\n"+
		"CSeq: 1 %s\r\nContact: <sip:x@127.0.0.1:%d>\r\n%s\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		method, lp, rawN, time.Now().UnixNano(), rawN, toTag, rawN, time.Now().UnixNano(), method, lp, hdr, len(body), body)
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8192)
	deadline := time.Now().Add(sip.HangGuard)
	for {
		_ = conn.SetReadDeadline(deadline)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("hang guard (%v): no final answer to %s: %v", sip.HangGuard, method, err)
		}
		s := string(buf[:n])
		if !strings.HasPrefix(s, "SIP/2.0 1") {
			return s
		}
	}
}

func dialUDP(t *testing.T, addr string) *net.UDPConn {
	t.Helper()
	ra, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", nil, ra)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func localPort(c *net.UDPConn) int { return c.LocalAddr().(*net.UDPAddr).Port }
