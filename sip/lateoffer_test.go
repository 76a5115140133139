package sip_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// lateCaller is a minimal SIP caller over UDP, through Kamailio, that
// sends an INVITE without SDP (neither baresip nor our phone can) and
// answers the offer of the 200 in its ACK.
type lateCaller struct {
	t      *testing.T
	sip    *net.UDPConn
	rtp    *net.UDPConn
	proxy  *net.UDPAddr
	callID string
	toHdr  string // To of the 200, with the callee's tag
	target string // the callee's Contact
	routes []string
}

func newLateCaller(t *testing.T, proxy string) *lateCaller {
	pa, err := net.ResolveUDPAddr("udp", proxy)
	if err != nil {
		t.Fatal(err)
	}
	s, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); r.Close() })
	return &lateCaller{t: t, sip: s, rtp: r, proxy: pa, callID: fmt.Sprintf("late-%d", time.Now().UnixNano())}
}

func (lc *lateCaller) port() int { return lc.sip.LocalAddr().(*net.UDPAddr).Port }

func (lc *lateCaller) send(msg string) {
	if _, err := lc.sip.WriteToUDP([]byte(msg), lc.proxy); err != nil {
		lc.t.Fatal(err)
	}
}

// request writes a request of this call; an in-dialog one follows the
// route set to the callee's Contact.
func (lc *lateCaller) request(method string, cseq int, body string) {
	lc.requestWith(method, cseq, body)
}

// requestWith is request with extra header lines ("Name: value").
func (lc *lateCaller) requestWith(method string, cseq int, body string, extra ...string) {
	uri, to := "sip:1001@127.0.0.1", "<sip:1001@127.0.0.1>"
	var b strings.Builder
	if lc.toHdr != "" {
		uri, to = lc.target, lc.toHdr
	}
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s%d;rport\r\nMax-Forwards: 70\r\n",
		method, uri, lc.port(), strings.ToLower(method), time.Now().UnixNano())
	for _, r := range lc.routes {
		fmt.Fprintf(&b, "Route: %s\r\n", r)
	}
	fmt.Fprintf(&b, "From: <sip:late@example.org>;tag=late1\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nContact: <sip:late@127.0.0.1:%d>\r\n",
		to, lc.callID, cseq, method, lc.port())
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	if body != "" {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	lc.send(b.String())
}

// response waits for a response whose status starts with prefix, up to
// the hang guard.
func (lc *lateCaller) response(prefix string) (head []string, body string) {
	return lc.awaitMessage("SIP/2.0 "+prefix, strconv.Quote(prefix)+" response")
}

// awaitRequest waits for a request of method from the phone, up to the
// hang guard, and returns its header lines.
func (lc *lateCaller) awaitRequest(method string) []string {
	head, _ := lc.awaitMessage(method+" ", method)
	return head
}

// awaitMessage waits for a message that begins with start, up to the
// hang guard; what names it in the failure.
func (lc *lateCaller) awaitMessage(start, what string) (head []string, body string) {
	buf := make([]byte, 65535)
	deadline := time.Now().Add(sip.HangGuard)
	for {
		_ = lc.sip.SetReadDeadline(deadline)
		n, _, err := lc.sip.ReadFromUDP(buf)
		if err != nil {
			lc.t.Fatalf("hang guard (%v): no %s: %v", sip.HangGuard, what, err)
		}
		msg := string(buf[:n])
		h, b, _ := strings.Cut(msg, "\r\n\r\n")
		if strings.HasPrefix(msg, start) {
			return strings.Split(h, "\r\n"), b
		}
	}
}

// lateCallUp registers a phone (1001, PCMU) with a fresh Kamailio and
// connects a call to it from a lateCaller.
func lateCallUp(ctx context.Context, t *testing.T) (*siptest.Kamailio, *events, *lateCaller, *sip.Call) {
	t.Helper()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	p, ev := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1001", Password: "secret1",
		Codecs: []string{"PCMU"}, RTPPortMin: 32000, RTPPortMax: 39999})
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	lc := newLateCaller(t, k.Addr())
	c, head, _ := lc.callAnswered(ctx, p, ev)
	lc.dialog(head)
	lc.request("ACK", 1, lc.answerPCMU())
	ev.waitCall(t, sip.StateConnected)
	return k, ev, lc, c
}

// final waits for the next final response (any status of 200 and up),
// up to the hang guard, and returns its status line.
func (lc *lateCaller) final() string {
	head, _ := lc.response("")
	for strings.HasPrefix(head[0], "SIP/2.0 1") {
		head, _ = lc.response("")
	}
	return head[0]
}

// answerPCMU is an SDP answer for the ACK: PCMU to our RTP socket.
func (lc *lateCaller) answerPCMU() string {
	return fmt.Sprintf("v=0\r\no=late 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n", lc.rtp.LocalAddr().(*net.UDPAddr).Port)
}

// dialog takes the dialog's remote target, To tag and route set (the
// Record-Route entries in reverse, RFC 3261 §12.1.2) from the 200.
func (lc *lateCaller) dialog(head []string) {
	lc.toHdr = header(head, "To")[0]
	lc.target = strings.TrimPrefix(strings.SplitN(header(head, "Contact")[0], ">", 2)[0], "<")
	var rr []string
	for _, h := range header(head, "Record-Route") {
		for _, r := range strings.Split(h, ",") {
			rr = append(rr, strings.TrimSpace(r))
		}
	}
	for i := len(rr) - 1; i >= 0; i-- {
		lc.routes = append(lc.routes, rr[i])
	}
}

// callAnswered sends the INVITE without SDP, answers the call it rings
// on p and returns it with the 200's header lines and body.
func (lc *lateCaller) callAnswered(ctx context.Context, p *sip.Phone, ev *events) (*sip.Call, []string, string) {
	lc.t.Helper()
	lc.request("INVITE", 1, "")
	in := ev.waitEvent(lc.t, sip.EventCallIncoming).(sip.IncomingCall)
	c, err := p.Call(in.CallID)
	if err != nil {
		lc.t.Fatal(err)
	}
	if err := c.Answer(ctx); err != nil {
		lc.t.Fatal(err)
	}
	head, body := lc.response("200")
	return c, head, body
}

func header(head []string, name string) []string {
	var out []string
	for _, l := range head {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

// TestLateOffer: an INVITE without SDP through Kamailio rings as usual;
// the page answers; the 200 carries our offer (PCMA and PCMU), the ACK
// the caller's answer (PCMU only), and audio flows both ways in PCMU.
// A second call whose ACK has no SDP ends with a reason and a BYE.
func TestLateOffer(t *testing.T) {
	t.Parallel()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	audio := newTestAudio(1000)
	p, ev := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1001", Password: "secret1",
		Codecs: []string{"PCMA", "PCMU"}, RTPPortMin: 32000, RTPPortMax: 39999}, sip.WithAudio(audio.factory))
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s", k.Log())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	lc := newLateCaller(t, k.Addr())
	c, head, body := lc.callAnswered(ctx, p, ev)
	if !strings.Contains(body, "m=audio ") || !strings.Contains(body, "a=rtpmap:8 PCMA/8000") || !strings.Contains(body, "a=rtpmap:0 PCMU/8000") {
		t.Fatalf("the 200 carries no offer of PCMA and PCMU:\n%s", body)
	}
	// Our offer's address.
	var phoneRTP *net.UDPAddr
	for _, l := range strings.Split(body, "\r\n") {
		if f := strings.Fields(strings.TrimPrefix(l, "m=audio ")); strings.HasPrefix(l, "m=audio ") && len(f) > 0 {
			port, _ := strconv.Atoi(f[0])
			phoneRTP = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
		}
	}
	lc.dialog(head)
	lc.request("ACK", 1, lc.answerPCMU())
	cs := ev.waitCall(t, sip.StateConnected)
	if cs.CallID != c.ID() || cs.Codec != "PCMU" {
		t.Errorf("connected: %+v (want PCMU, the ACK's answer)", cs)
	}

	// Two seconds of 600 Hz PCMU to the phone; what it sends back is
	// its microphone (1000 Hz).
	pcmu, err := codec.Lookup("PCMU", 8000)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := pcmu.NewEncoder()
	dec, _ := pcmu.NewDecoder()
	tone := dsp.Sine(16000, 600, 8000, 0.3)
	got := make(chan []int16, 1)
	go func() {
		var pcm []int16
		buf := make([]byte, 1500)
		out := make([]int16, 960)
		_ = lc.rtp.SetReadDeadline(time.Now().Add(3 * time.Second))
		for {
			n, _, err := lc.rtp.ReadFromUDP(buf)
			if err != nil {
				got <- pcm
				return
			}
			var pkt rtp.Packet
			if pkt.Unmarshal(buf[:n]) != nil || pkt.PayloadType != 0 {
				continue
			}
			if k, err := dec.Decode(out, pkt.Payload); err == nil {
				pcm = append(pcm, out[:k]...)
			}
		}
	}()
	payload := make([]byte, 320)
	for i := 0; i+160 <= len(tone); i += 160 {
		k, err := enc.Encode(payload, tone[i:i+160])
		if err != nil {
			t.Fatal(err)
		}
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(i / 160), Timestamp: uint32(i), SSRC: 0x1a7e}, Payload: payload[:k]}
		raw, _ := pkt.Marshal()
		_, _ = lc.rtp.WriteToUDP(raw, phoneRTP)
		time.Sleep(20 * time.Millisecond)
	}
	sent := <-got
	heard, rate := audio.heard(c.ID())
	checkTone(t, "what the phone heard", heard, rate, 600)
	checkTone(t, "what the phone sent", sent, 8000, 1000)

	lc.request("BYE", 2, "")
	lc.response("200")
	end := ev.waitCall(t, sip.StateEnded)
	if end.Reason != "remote hangup" {
		t.Errorf("end reason %q", end.Reason)
	}

	// An ACK without the answer: the call cannot carry audio.
	lc2 := newLateCaller(t, k.Addr())
	lc2.request("INVITE", 1, "")
	in2 := ev.waitFor(t, "the second late call", func(_ string, params any) bool {
		ic, ok := params.(sip.IncomingCall)
		return ok && ic.CallID != c.ID()
	}).(sip.IncomingCall)
	c2, err := p.Call(in2.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	head, _ = lc2.response("200")
	lc2.dialog(head)
	lc2.request("ACK", 1, "")
	end2 := ev.waitState(t, "the answerless call ended", stateIs(in2.CallID, sip.StateEnded))
	if !strings.Contains(end2.Reason, "no SDP answer") {
		t.Errorf("end reason %q", end2.Reason)
	}
	// The first call was hung up by the caller (to the phone's Contact);
	// a BYE to the caller's Contact is the phone's, for the second.
	if n := k.WaitCount(1, 5*time.Second, "REQ BYE sip:late@"); n < 1 {
		t.Errorf("the phone sent no BYE for the answerless call")
	}
}
