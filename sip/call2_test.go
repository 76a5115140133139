package sip_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

func TestInboundAnswerHoldBothSidesRemoteHangup(t *testing.T) {
	t.Parallel()
	relay := siptest.StartRTPRelay(t)
	pe := setupCallKam(t, siptest.KamailioOptions{RTPRelay: relay}, nil, []string{"pcmu"}, "auto", 60*time.Second, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, in := pe.answerBaresip(ctx, t, pe.k.Addr())
	if !strings.Contains(in.From, "1002") {
		t.Errorf("incoming from %q", in.From)
	}
	pe.ev.waitCall(t, sip.StateConnected)
	time.Sleep(2 * time.Second)
	holdAndResumeBothSides(ctx, t, pe, c, relay)

	// They hang up.
	if _, err := pe.b.Command("hangup", ""); err != nil {
		t.Fatal(err)
	}
	end := pe.ev.waitCall(t, sip.StateEnded)
	if end.Reason != "remote hangup" {
		t.Errorf("end reason %q", end.Reason)
	}
	heard, rate := pe.audio.heard(c.ID())
	checkTone(t, "what bpclient heard", heard, rate, 440)
	pe.b.Stop()
	_, dec := pe.b.Recordings()
	if len(dec) != 1 {
		t.Fatalf("baresip recordings: %v", dec)
	}
	// What baresip heard before the first hold (hold_test.go says why
	// nothing after it is recorded).
	checkWAVTone(t, "what baresip heard", dec[0], 1000)
}

func TestInboundRejectAndOutboundCancel(t *testing.T) {
	t.Parallel()
	pe := setupCall(t, nil, nil, "manual")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pe.b.Command("dial", "sip:1001@"+pe.k.Addr()); err != nil {
		t.Fatal(err)
	}
	in := pe.ev.waitEvent(t, sip.EventCallIncoming).(sip.IncomingCall)
	c, err := pe.phone.Call(in.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Reject(ctx, 486); err != nil {
		t.Fatal(err)
	}
	end := pe.ev.waitCall(t, sip.StateEnded)
	if !strings.Contains(end.Reason, "486") {
		t.Errorf("reject reason %q", end.Reason)
	}
	if !pe.b.WaitLog("486 Busy Here", sip.HangGuard) {
		t.Errorf("hang guard (%v): baresip did not see 486", sip.HangGuard)
	}

	// We call; baresip (manual answer) rings; we hang up: CANCEL.
	out, err := pe.phone.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateRinging)
	// No early media: we hear our own ringback (US: 440 + 480 Hz).
	time.Sleep(800 * time.Millisecond)
	if rb, rate := pe.audio.heard(out.ID()); len(rb) < rate/2 {
		t.Errorf("ringback: %d samples", len(rb))
	} else if f := dsp.DominantFrequency(rb, rate); math.Abs(f-440) > 10 && math.Abs(f-480) > 10 {
		t.Errorf("ringback at %.0f Hz", f)
	}
	if err := out.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	end = pe.ev.waitCall(t, sip.StateEnded)
	if end.Reason != "cancelled" {
		t.Errorf("cancel reason %q", end.Reason)
	}
	if n := pe.k.WaitCount(1, 5*time.Second, "REQ CANCEL"); n < 1 {
		t.Errorf("kamailio saw no CANCEL")
	}
}

// TestCodecs answers with each codec we offer that baresip supports.
func TestCodecs(t *testing.T) {
	t.Parallel()
	rates := map[string]int{"PCMU": 8000, "PCMA": 8000, "G722": 16000, "opus": 48000}
	for _, name := range []string{"PCMU", "PCMA", "G722", "opus"} {
		if _, err := codec.Lookup(name, 0); err != nil {
			t.Logf("%s not in this build (%v)", name, err)
			continue
		}
		t.Run(name, func(t *testing.T) {
			k := siptest.StartKamailio(t, siptest.KamailioOptions{})
			b := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(),
				Source: writeTone(t, 440, rates[name]), Rate: rates[name], Codecs: []string{strings.ToLower(name)}})
			audio := newTestAudio(1000)
			p, ev := startPhone(t, sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1001", Password: "secret1",
				Codecs: []string{name}},
				sip.WithAudio(audio.factory))
			if err := p.Register(); err != nil {
				t.Fatal(err)
			}
			ev.waitReg(t, sip.Registered)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := p.Dial(ctx, "1002")
			if err != nil {
				t.Fatal(err)
			}
			cs := ev.waitCall(t, sip.StateConnected)
			if !strings.EqualFold(cs.Codec, name) {
				t.Errorf("codec %q, want %s", cs.Codec, name)
			}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("baresip:\n%s", b.Log())
				}
			})
			time.Sleep(2500 * time.Millisecond)
			if err := c.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			heard, rate := audio.heard(c.ID())
			checkTone(t, name+": what bpclient heard", heard, rate, 440)
			b.Stop()
			_, dec := b.Recordings()
			if len(dec) != 1 {
				t.Fatalf("baresip recordings: %v", dec)
			}
			checkWAVTone(t, name+": what baresip heard", dec[0], 1000)
		})
	}
}

func TestBlindTransfer(t *testing.T) {
	t.Parallel()
	pe := setupCall(t, nil, nil, "auto")
	b3 := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[2], Registrar: pe.k.Addr(),
		Source: writeTone(t, 600, 8000)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dialConnected(ctx, t, pe, "1002")
	time.Sleep(500 * time.Millisecond)
	if err := c.Transfer(ctx, "1003"); err != nil {
		t.Fatal(err)
	}
	end := pe.ev.waitCall(t, sip.StateEnded)
	if !strings.Contains(end.Reason, "transferred") {
		t.Errorf("end reason %q", end.Reason)
	}
	if !b3.WaitLog("Call established", sip.HangGuard) {
		t.Errorf("hang guard (%v): 1003 did not get the transferred call:\n%s\n1002:\n%s", sip.HangGuard, b3.Log(), pe.b.Log())
	}
}
