package sip_test

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// intruderTone is what the intruders play: far from both parties' tones
// (baresip 440 Hz, ours 1000 Hz).
const intruderTone = 1900

// rtpIntruder sends PCMU RTP of intruderTone to a call's RTP port from a
// socket that is not the peer's, every 20 ms until stopped.
type rtpIntruder struct {
	conn *net.UDPConn
	stop chan struct{}
	wg   sync.WaitGroup
	sent int
}

func startIntruder(t *testing.T, ip string, to *net.UDPAddr, ssrc uint32) *rtpIntruder {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	pcmu, err := codec.Lookup("PCMU", 8000)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := pcmu.NewEncoder()
	if err != nil {
		t.Fatal(err)
	}
	tone := dsp.Sine(8000, intruderTone, 8000, 0.5)
	in := &rtpIntruder{conn: conn, stop: make(chan struct{})}
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		payload := make([]byte, 160)
		for i := 0; ; i++ {
			select {
			case <-in.stop:
				return
			case <-tick.C:
			}
			off := (i * 160) % len(tone)
			k, err := enc.Encode(payload, tone[off:off+160])
			if err != nil {
				return
			}
			// Sequence numbers and timestamps run ahead of anything, as
			// an attacker wanting its audio played would send.
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(30000 + i),
				Timestamp: uint32(i) * 160, SSRC: ssrc}, Payload: payload[:k]}
			b, err := pkt.Marshal()
			if err != nil {
				return
			}
			if _, err := conn.WriteToUDP(b, to); err == nil {
				in.sent++
			}
		}
	}()
	t.Cleanup(func() {
		in.stopSending()
		conn.Close()
	})
	return in
}

// stopSending stops the sending (sent is then final).
func (in *rtpIntruder) stopSending() {
	select {
	case <-in.stop:
	default:
		close(in.stop)
	}
	in.wg.Wait()
}

// receivedNothing checks that none of the call's media reached the
// intruder.
func (in *rtpIntruder) receivedNothing(t *testing.T, what string) {
	t.Helper()
	_ = in.conn.SetReadDeadline(time.Now())
	buf := make([]byte, 1600)
	if n, _, err := in.conn.ReadFromUDP(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("%s: the intruder at %s received %d bytes of the call's media (err %v)", what, in.conn.LocalAddr(), n, err)
	}
}

// checkNoIntruderTone asserts that what our speaker got holds baresip's
// tone and none of the intruders'.
func checkNoIntruderTone(t *testing.T, what string, pcm []int16, rate int) {
	t.Helper()
	checkTone(t, what, pcm, rate, 440)
	peer, intr := dsp.Goertzel(pcm, 440, rate), dsp.Goertzel(pcm, intruderTone, rate)
	if intr > peer/100 {
		t.Errorf("%s: the intruders' %d Hz at amplitude %.4f beside the peer's 440 Hz at %.4f", what, intruderTone, intr, peer)
	}
}

// TestRTPFromStrangersDuringACall: during a plain call with baresip, two
// sockets that are not baresip's (one on another IP, one on baresip's own
// IP) send RTP of a 1900 Hz tone to our RTP port, during the call and
// across a hold and resume. None of it is played to the agent, our RTP
// never goes to them, the far end still hears our tone, and the dropped
// packets are counted.
func TestRTPFromStrangersDuringACall(t *testing.T) {
	t.Parallel()
	relay := siptest.StartRTPRelay(t)
	pe := setupCallKam(t, siptest.KamailioOptions{RTPRelay: relay}, []string{"PCMU"}, []string{"pcmu"}, "auto", 60*time.Second, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, _ := pe.answerBaresip(ctx, t, pe.k.Addr())
	pe.ev.waitCall(t, sip.StateConnected)
	// Baresip's audio plays: its packets have settled the latch.
	waitHeard(t, "baresip's tone", pe.audio, c.ID(), 0, 440)
	ours := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: c.RTPPortForTest()}

	burst := func(what string, during func()) {
		t.Helper()
		before := c.MediaStats().RTPFromStrangers
		other := startIntruder(t, "127.0.0.2", ours, 0x1900)
		sameIP := startIntruder(t, "127.0.0.1", ours, 0x1901)
		m := markResume(c, pe.audio)
		if during != nil {
			during()
			m = markResume(c, pe.audio)
		}
		checkAfterResume(t, what, c, pe.audio, relay, m)
		other.stopSending()
		sameIP.stopSending()
		heard, rate := pe.audio.heard(c.ID())
		checkNoIntruderTone(t, what+": what bpclient heard", heard[m.heard:], rate)
		other.receivedNothing(t, what)
		sameIP.receivedNothing(t, what)
		sent := uint64(other.sent + sameIP.sent)
		// What was sent and read (loopback loses nothing) is counted.
		if got := c.MediaStats().RTPFromStrangers - before; sent == 0 || got+4 < sent {
			t.Errorf("%s: the intruders sent %d packets, %d counted as from strangers", what, sent, got)
		}
	}
	burst("during the call", nil)
	burst("across a hold and resume", func() {
		if err := c.Hold(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // the intruders send while we hold
		if err := c.Resume(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if q, ok := c.Quality(); !ok || q.FromStrangers == 0 {
		t.Errorf("quality report: %+v (ok %v), want the strangers' packets counted", q, ok)
	}

	if _, err := pe.b.Command("hangup", ""); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateEnded)
	pe.b.Stop()
	_, dec := pe.b.Recordings()
	if len(dec) != 1 {
		t.Fatalf("baresip recordings: %v", dec)
	}
	// What baresip recorded before the hold (hold_test.go says why
	// nothing after it is): our tone, not the intruders'.
	checkWAVTone(t, "what baresip heard", dec[0], 1000)
}

// TestSecureUnauthenticatedRTPNeverMovesMedia: in an SDES call with
// baresip, RTP that does not authenticate (the intruders' plain RTP) is
// thrown at our RTP port from before we answer, from baresip's own IP
// and from another: our media never goes to the intruders, none of their
// tone is played, both sides hear each other, and every packet is
// counted, as a failed authentication or a stranger's.
func TestSecureUnauthenticatedRTPNeverMovesMedia(t *testing.T) {
	t.Parallel()
	pe := setupSecureFor(t, "srtp-mand", nil, "auto", 60*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pe.b.Command("dial", "sip:1001@"+pe.k.TLSAddr()); err != nil {
		t.Fatal(err)
	}
	in := pe.ev.waitEvent(t, sip.EventCallIncoming).(sip.IncomingCall)
	c, err := pe.phone.Call(in.CallID)
	if err != nil {
		t.Fatal(err)
	}
	ours := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: c.RTPPortForTest()}
	sameIP := startIntruder(t, "127.0.0.1", ours, 0x1901)
	other := startIntruder(t, "127.0.0.2", ours, 0x1900)
	if err := c.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateConnected)
	since := heardSoFar(pe.audio, c.ID())
	waitHeard(t, "what bpclient heard while the intruders sent", pe.audio, c.ID(), since, 440)
	sameIP.stopSending()
	other.stopSending()
	heard, rate := pe.audio.heard(c.ID())
	checkNoIntruderTone(t, "what bpclient heard", heard, rate)
	sameIP.receivedNothing(t, "secure call")
	other.receivedNothing(t, "secure call")
	st, _ := c.SRTPStats()
	counted := st.AuthFailures + st.Malformed + c.MediaStats().RTPFromStrangers
	if sent := uint64(sameIP.sent + other.sent); sent == 0 || counted+4 < sent {
		t.Errorf("the intruders sent %d packets; counted: %d (srtp %+v)", sent, counted, st)
	}
	pe.hangupAndCheckAudio(t, c)
}

// TestRTPLatchingBehindNAT: baresip behind a NAT (siptest.StartNATRelay)
// sends from another port of the IP its SDP names. With rtpLatching
// signalled-ip (the default) our media follows it there and both sides
// hear each other; with off, its packets are strangers': we hear nothing
// of it, they are counted, and our media stays at the signalled port
// (which still reaches baresip through the relay).
func TestRTPLatchingBehindNAT(t *testing.T) {
	t.Parallel()
	for _, latching := range []string{sip.RTPLatchingSignalledIP, sip.RTPLatchingOff} {
		t.Run(latching, func(t *testing.T) {
			t.Parallel()
			relay := siptest.StartNATRelay(t)
			pe := setupCallKam(t, siptest.KamailioOptions{RTPRelay: relay}, []string{"PCMU"}, []string{"pcmu"}, "auto", 60*time.Second,
				func(c *sip.Config) { c.RTPLatching = latching })
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, _ := pe.answerBaresip(ctx, t, pe.k.Addr())
			pe.ev.waitCall(t, sip.StateConnected)
			_, firstSeq := c.SentForTest()
			if latching == sip.RTPLatchingOff {
				// A second of baresip's packets dropped and counted.
				sip.WaitFor(t, "baresip's packets counted as strangers", func() bool { return c.MediaStats().RTPFromStrangers >= 50 })
				if heard, rate := pe.audio.heard(c.ID()); dsp.RMS(heard) > 0.001 {
					t.Errorf("with latching off we heard baresip from its NAT port: rms %.4f (%d samples at %d Hz)", dsp.RMS(heard), len(heard), rate)
				}
			} else {
				waitHeard(t, "what bpclient heard", pe.audio, c.ID(), 0, 440)
			}
			pcm := relayedPCM(t, c, relay, firstSeq)
			if len(pcm) < 8000 {
				sip.WaitFor(t, "a second of ours relayed to baresip", func() bool { return len(relayedPCM(t, c, relay, firstSeq)) >= 8000 })
				pcm = relayedPCM(t, c, relay, firstSeq)
			}
			checkTone(t, "what reached baresip", pcm, 8000, 1000)
			viaNAT := 0
			for _, p := range relay.ToBaresip() {
				if p.ViaNAT {
					viaNAT++
				}
			}
			switch {
			case latching == sip.RTPLatchingOff && viaNAT > 0:
				t.Errorf("with latching off, %d of our packets went to baresip's NAT port", viaNAT)
			case latching != sip.RTPLatchingOff && viaNAT == 0:
				t.Error("our media did not follow baresip to its NAT port")
			}
			if err := c.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
