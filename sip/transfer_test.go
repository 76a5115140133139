package sip_test

import (
	"context"
	"errors"
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

// transferRequest waits for a call.transferRequested.
func (e *events) transferRequest(t *testing.T) sip.TransferRequest {
	t.Helper()
	return e.waitFor(t, "call.transferRequested", func(name string, _ any) bool {
		return name == sip.EventCallTransferRequested
	}).(sip.TransferRequest)
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
	return startPeerWith(t, k, user, freq)
}

// startPeerWith is startPeer with extra options for the phone.
func startPeerWith(t *testing.T, k *siptest.Kamailio, user int, freq float64, opts ...sip.Option) *peer {
	t.Helper()
	u := siptest.DefaultUsers[user]
	audio := newTestAudio(freq)
	p, ev := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: u.Name, Password: u.Password,
		Codecs: []string{"PCMU"}, RTPPortMin: 32000, RTPPortMax: 39999}, append([]sip.Option{sip.WithAudio(audio.factory)}, opts...)...)
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

// acceptTransfer waits for the transfer request of call id and accepts
// it, as a page would.
func (pe *peer) acceptTransfer(t *testing.T, id, target string, attended bool) {
	t.Helper()
	req := pe.ev.transferRequest(t)
	if req.CallID != id || req.Target != target || req.Attended != attended {
		t.Errorf("transfer request %+v, want call %s to %s, attended %v", req, id, target, attended)
	}
	c, err := pe.phone.Call(id)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AcceptTransfer(); err != nil {
		t.Fatal(err)
	}
}

// TestAttendedTransfer: A (1001) calls B (1002), holds it, consults C
// (1003) and transfers B to C with REFER/Replaces. B's page accepts the
// request (call.transferRequested, attended). B places the new call
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
	b.acceptTransfer(t, bOld, "sip:1003@127.0.0.1", true)
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
	b.acceptTransfer(t, bOld, "sip:1003@127.0.0.1", true)
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

// remoteTransfer is a call from us (1001) to baresip 1002, which then
// transfers it to 1003 (another baresip, its microphone 600 Hz) with its
// /transfer command: a REFER to us.
type remoteTransfer struct {
	*peers
	target *siptest.Baresip
	call   *sip.Call
}

func startRemoteTransfer(t *testing.T, ctx context.Context, opts ...sip.Option) *remoteTransfer {
	t.Helper()
	pe := setupCallKam(t, siptest.KamailioOptions{}, []string{"PCMU"}, nil, "auto", 20*time.Second, nil, opts...)
	b3 := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[2], Registrar: pe.k.Addr(),
		Source: writeTone(t, 600, 8000)})
	c, err := pe.phone.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	pe.ev.waitState(t, "call to 1002 connected", stateIs(c.ID(), sip.StateConnected))
	time.Sleep(500 * time.Millisecond)
	if _, err := pe.b.Command("transfer", "sip:1003@127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	return &remoteTransfer{peers: pe, target: b3, call: c}
}

// requested waits for the call.transferRequested of the REFER and checks
// what it says.
func (rt *remoteTransfer) requested(t *testing.T) sip.TransferRequest {
	t.Helper()
	req := rt.ev.transferRequest(t)
	if req.CallID != rt.call.ID() || req.Target != "sip:1003@127.0.0.1" || req.Attended {
		t.Errorf("transfer request %+v, want call %s to sip:1003@127.0.0.1, not attended", req, rt.call.ID())
	}
	return req
}

// followed checks that the transfer took place: the new call to 1003 is
// up with audio both ways and the old call ended as transferred.
func (rt *remoteTransfer) followed(t *testing.T, ctx context.Context) {
	t.Helper()
	c := rt.call
	nc := rt.ev.waitState(t, "the transferred call connected", func(cs sip.CallState) bool {
		return cs.TransferredFrom == c.ID() && cs.State == sip.StateConnected
	})
	if !strings.Contains(nc.Remote, "1003") {
		t.Errorf("new call to %q", nc.Remote)
	}
	end := rt.ev.waitState(t, "the old call ended", stateIs(c.ID(), sip.StateEnded))
	if end.Reason != "transferred to sip:1003@127.0.0.1" {
		t.Errorf("old call's end reason %q", end.Reason)
	}
	if !rt.target.WaitLog("Call established", sip.HangGuard) {
		t.Errorf("hang guard (%v): 1003 did not get the call:\n%s", sip.HangGuard, rt.target.Log())
	}
	if n := rt.k.WaitCount(2, 5*time.Second, "REQ NOTIFY"); n < 2 {
		t.Errorf("kamailio saw %d NOTIFYs (want 100 Trying and 200 OK)", n)
	}
	time.Sleep(2 * time.Second)
	nCall, err := rt.phone.Call(nc.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if err := nCall.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	heard, rate := rt.audio.heard(nc.CallID)
	checkTone(t, "what we heard from 1003", heard, rate, 600)
	rt.target.Stop()
	_, dec := rt.target.Recordings()
	if len(dec) != 1 {
		t.Fatalf("1003's recordings: %v", dec)
	}
	checkWAVTone(t, "what 1003 heard", dec[0], 1000)
}

// referredCall is a call between two bpclient phones through Kamailio:
// us (1001, 1000 Hz) and a transferor (1002, 700 Hz) that will ask us to
// call 1003 (a third phone, 1300 Hz). Unlike baresip, which hangs up
// when its transfer fails, a bpclient transferor keeps the call, so the
// call can be checked after a refusal.
type referredCall struct {
	k                *siptest.Kamailio
	us, from, target *peer
	ours, theirs     *sip.Call
}

func startReferredCall(t *testing.T, ctx context.Context, opts ...sip.Option) *referredCall {
	t.Helper()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s", k.Log())
		}
	})
	rc := &referredCall{k: k, us: startPeerWith(t, k, 0, 1000, opts...), from: startPeer(t, k, 1, 700), target: startPeer(t, k, 2, 1300)}
	var theirs string
	rc.ours, theirs = rc.us.connect(t, ctx, rc.from, "1002", "1001-1002")
	var err error
	if rc.theirs, err = rc.from.phone.Call(theirs); err != nil {
		t.Fatal(err)
	}
	if err := rc.theirs.Transfer(ctx, "1003"); err != nil {
		t.Fatal(err)
	}
	return rc
}

// requested waits for the call.transferRequested of the REFER and checks
// what it says.
func (rc *referredCall) requested(t *testing.T) sip.TransferRequest {
	t.Helper()
	req := rc.us.ev.transferRequest(t)
	if req.CallID != rc.ours.ID() || req.Target != "sip:1003@127.0.0.1" || req.Attended || req.ReferredBy != "<sip:1002@127.0.0.1>" {
		t.Errorf("transfer request %+v, want call %s to sip:1003@127.0.0.1, not attended, referred by <sip:1002@127.0.0.1>",
			req, rc.ours.ID())
	}
	return req
}

// declined checks that a transfer request was declined with reason: the
// transferor was told 603, no INVITE went to the target, and the call is
// still up with audio both ways.
func (rc *referredCall) declined(t *testing.T, ctx context.Context, reason string, marks [2]int) {
	t.Helper()
	c := rc.ours
	rc.us.ev.waitState(t, "our call told the request was declined", func(cs sip.CallState) bool {
		return cs.CallID == c.ID() && cs.Reason == reason
	})
	rc.from.ev.waitState(t, "the transferor told 603", func(cs sip.CallState) bool {
		return cs.CallID == rc.theirs.ID() && cs.Reason == "transfer failed: 603 Decline" && cs.State != sip.StateEnded
	})
	waitHeard(t, "what we hear from 1002 after the refusal", rc.us.audio, c.ID(), marks[0], 700)
	waitHeard(t, "what 1002 hears from us after the refusal", rc.from.audio, rc.theirs.ID(), marks[1], 1000)
	if n := rc.k.Count("REQ INVITE sip:1003@"); n != 0 {
		t.Errorf("kamailio saw %d INVITEs to 1003", n)
	}
	if n := rc.target.ev.count(func(name string, _ any) bool { return name == sip.EventCallIncoming }); n != 0 {
		t.Errorf("1003 rang %d times", n)
	}
	if n := rc.us.ev.count(func(_ string, params any) bool {
		cs, ok := params.(sip.CallState)
		return ok && cs.TransferredFrom != ""
	}); n != 0 {
		t.Errorf("%d call.state events of a transferred call", n)
	}
	if calls := rc.us.phone.Calls(); len(calls) != 1 || calls[0].State != sip.StateConnected {
		t.Errorf("our calls after the refusal: %+v", calls)
	}
	if err := c.AcceptTransfer(); !errors.Is(err, sip.ErrWrongState) {
		t.Errorf("accepting a declined request: %v, want ErrWrongState", err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	rc.from.ev.waitState(t, "the transferor's call hung up", stateIs(rc.theirs.ID(), sip.StateEnded))
}

func (rc *referredCall) marks() [2]int {
	return [2]int{heardSoFar(rc.us.audio, rc.ours.ID()), heardSoFar(rc.from.audio, rc.theirs.ID())}
}

// TestRemoteBlindTransfer: baresip (1002) transfers its call with us to
// 1003 (REFER). The request comes as call.transferRequested; once
// accepted we place the new call, report it in NOTIFYs, and the old call
// ends once the new one is up; both directions of the new call carry
// audio.
func TestRemoteBlindTransfer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rt := startRemoteTransfer(t, ctx)
	rt.requested(t)
	if err := rt.call.AcceptTransfer(); err != nil {
		t.Fatal(err)
	}
	if err := rt.call.RejectTransfer(); !errors.Is(err, sip.ErrWrongState) {
		t.Errorf("declining an accepted request: %v, want ErrWrongState", err)
	}
	rt.followed(t, ctx)
}

// TestRemoteTransferFollowedByPolicy: with WithFollowRemoteTransfers (an
// administrator's allowRemoteTransfer) the REFER is followed at once, as
// before consent existed, and nothing is asked.
func TestRemoteTransferFollowedByPolicy(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rt := startRemoteTransfer(t, ctx, sip.WithFollowRemoteTransfers())
	rt.followed(t, ctx)
	if n := rt.ev.count(func(name string, _ any) bool { return name == sip.EventCallTransferRequested }); n != 0 {
		t.Errorf("%d transfer requests asked for, want none", n)
	}
}

// TestRemoteTransferRefused: without the page's consent a REFER from the
// far end makes no call: the page declines, the transferor hears 603 and
// the call goes on with audio both ways.
func TestRemoteTransferRefused(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rc := startReferredCall(t, ctx)
	rc.requested(t)
	marks := rc.marks()
	if err := rc.ours.RejectTransfer(); err != nil {
		t.Fatal(err)
	}
	rc.declined(t, ctx, "transfer to sip:1003@127.0.0.1 declined", marks)
}

// TestRemoteTransferConsentTimeout: a request the page leaves unanswered
// is declined when the consent timeout runs out.
func TestRemoteTransferConsentTimeout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rc := startReferredCall(t, ctx, sip.WithTransferConsentTimeout(300*time.Millisecond))
	rc.requested(t)
	rc.declined(t, ctx, "transfer to sip:1003@127.0.0.1 declined: not answered within 300ms", rc.marks())
}

// TestRemoteTransferRefusedToBaresip: baresip, as the transferor, reads
// our 603 (baresip 1.0.0 then hangs up, its own choice); 1003 gets no
// call.
func TestRemoteTransferRefusedToBaresip(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rt := startRemoteTransfer(t, ctx)
	rt.requested(t)
	if err := rt.call.RejectTransfer(); err != nil {
		t.Fatal(err)
	}
	if !rt.b.WaitLog("transfer failed: 603 Decline", sip.HangGuard) {
		t.Errorf("hang guard (%v): baresip was not told 603:\n%s", sip.HangGuard, rt.b.Log())
	}
	if n := rt.k.Count("REQ INVITE sip:1003@"); n != 0 {
		t.Errorf("kamailio saw %d INVITEs to 1003", n)
	}
	if strings.Contains(rt.target.Log(), "Incoming call") || strings.Contains(rt.target.Log(), "Call established") {
		t.Errorf("1003 got a call:\n%s", rt.target.Log())
	}
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

// TestReferWhilePendingAndReplacesTags: a caller of our own making,
// through Kamailio, sets up a call with us. A REFER while another of
// the same call waits for the page is 491, a REFER to a tel: URI is 400;
// an INVITE whose Replaces names the call by its Call-ID but with a
// wrong or swapped tag is 481. No new call is placed or rings, and the
// call stays up.
func TestReferWhilePendingAndReplacesTags(t *testing.T) {
	t.Parallel()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	us := startPeer(t, k, 0, 1000)
	p, ev := us.phone, us.ev
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	lc := newLateCaller(t, k.Addr())
	c, head, _ := lc.callAnswered(ctx, p, ev)
	lc.dialog(head)
	lc.request("ACK", 1, lc.answerPCMU())
	ev.waitState(t, "the call connected", stateIs(c.ID(), sip.StateConnected))
	ourTag := ""
	if _, params, ok := strings.Cut(lc.toHdr, ";tag="); ok {
		ourTag, _, _ = strings.Cut(params, ";")
	}
	if ourTag == "" {
		t.Fatalf("no tag in the 200's To %q", lc.toHdr)
	}

	cseq := 2
	refer := func(referTo, want string) {
		t.Helper()
		lc.requestWith("REFER", cseq, "", "Refer-To: "+referTo)
		cseq++
		if got := lc.final(); !strings.HasPrefix(got, "SIP/2.0 "+want) {
			t.Errorf("REFER to %s answered %q, want %s", referTo, got, want)
		}
	}
	refer("<sip:1003@127.0.0.1>", "202")
	refer("<sip:1004@127.0.0.1>", "491")
	refer("<tel:+15551234>", "400")
	if n := ev.count(func(name string, _ any) bool { return name == sip.EventCallTransferRequested }); n > 1 {
		t.Errorf("%d transfer requests for one pending REFER", n)
	}

	for _, tags := range []string{
		"to-tag=" + ourTag + ";from-tag=wrong", // their tag wrong
		"to-tag=wrong;from-tag=late1",          // ours wrong
		"to-tag=late1;from-tag=" + ourTag,      // swapped
	} {
		intruder := newLateCaller(t, k.Addr())
		intruder.requestWith("INVITE", 1, "", "Replaces: "+lc.callID+";"+tags)
		if got := intruder.final(); !strings.HasPrefix(got, "SIP/2.0 481") {
			t.Errorf("INVITE with Replaces %s answered %q, want 481", tags, got)
		}
	}
	if n := ev.count(func(name string, _ any) bool { return name == sip.EventCallIncoming }); n != 1 {
		t.Errorf("%d incoming calls, want the first only", n)
	}
	if calls := p.Calls(); len(calls) != 1 || calls[0].CallID != c.ID() || calls[0].State != sip.StateConnected {
		t.Errorf("calls: %+v, want the first call, connected", calls)
	}
	if err := c.RejectTransfer(); err != nil {
		t.Errorf("the pending request: %v", err)
	}
}
