package sip_test

import (
	"context"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// beepLevel is the strongest 440 Hz component over 100 ms blocks of pcm.
func beepLevel(pcm []int16, rate int) float64 {
	block := rate / 10
	top := 0.0
	for i := 0; i+block <= len(pcm); i += block {
		top = max(top, dsp.Goertzel(pcm[i:i+block], 440, rate))
	}
	return top
}

// TestCallWaiting: while a call from 1002 is up, 1003 calls. The second
// call is announced (call.incoming) and the call-waiting tone (440 Hz)
// sounds in the first call's speaker, not on the wire. Answering the
// second call holds the first, stops the tone, and the second call
// carries audio both ways.
func TestCallWaiting(t *testing.T) {
	t.Parallel()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	b2 := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(),
		Source: writeTone(t, 600, 8000), Codecs: []string{"pcmu"}})
	b3 := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[2], Registrar: k.Addr(),
		Source: writeTone(t, 800, 8000), Codecs: []string{"pcmu"}})
	me := startPeer(t, k, 0, 1000)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("1002:\n%s\n1003:\n%s", b2.Log(), b3.Log())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if _, err := b2.Command("dial", "sip:1001@"+k.Addr()); err != nil {
		t.Fatal(err)
	}
	first := me.answerNext(t, ctx, 0)
	time.Sleep(1500 * time.Millisecond)
	before, rate := me.audio.heard(first)
	if lvl := beepLevel(before[len(before)/2:], rate); lvl > 0.03 {
		t.Errorf("440 Hz at %.3f before any second call", lvl)
	}

	if _, err := b3.Command("dial", "sip:1001@"+k.Addr()); err != nil {
		t.Fatal(err)
	}
	in := me.ev.waitFor(t, "the waiting call", func(name string, params any) bool {
		in, ok := params.(sip.IncomingCall)
		return ok && in.CallID != first
	}).(sip.IncomingCall)
	time.Sleep(1200 * time.Millisecond)
	during, _ := me.audio.heard(first)
	during = during[len(before):]
	if lvl := beepLevel(during, rate); lvl < 0.08 {
		t.Errorf("call-waiting tone at %.3f in the first call's speaker (want about 0.15)", lvl)
	}
	// The first call still plays its remote's audio under the tone.
	checkTone(t, "the first call during the tone", during[len(during)/2:], rate, 600)

	second, err := me.phone.Call(in.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	me.ev.waitState(t, "the first call held", stateIs(first, sip.StateHeld))
	me.ev.waitState(t, "the second call connected", stateIs(in.CallID, sip.StateConnected))
	time.Sleep(300 * time.Millisecond)
	mark, _ := me.audio.heard(first)
	time.Sleep(1500 * time.Millisecond)
	after, _ := me.audio.heard(first)
	if lvl := beepLevel(after[len(mark):], rate); lvl > 0.03 {
		t.Errorf("call-waiting tone at %.3f after the answer", lvl)
	}
	heard, rate2 := me.audio.heard(in.CallID)
	checkTone(t, "what the second call heard", heard, rate2, 800)

	if err := second.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	c1, err := me.phone.Call(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := c1.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c1.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	b2.Stop()
	b3.Stop()
	// baresip's recording of each call: our microphone, never the tone.
	for _, b := range []*siptest.Baresip{b2, b3} {
		_, dec := b.Recordings()
		if len(dec) != 1 {
			t.Fatalf("recordings: %v", dec)
		}
		checkWAVTone(t, "what "+b.Dir+" heard", dec[0], 1000)
	}
}
