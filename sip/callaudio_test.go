package sip_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// lifeAudio counts, per call, how often its audio was opened and closed.
type lifeAudio struct {
	mu     sync.Mutex
	opens  map[string]int
	closes map[string]int
}

func newLifeAudio() *lifeAudio {
	return &lifeAudio{opens: map[string]int{}, closes: map[string]int{}}
}

func (a *lifeAudio) factory(callID string, rate int) (sip.Audio, error) {
	a.mu.Lock()
	a.opens[callID]++
	a.mu.Unlock()
	return sip.Audio{Source: &toneSource{freq: 1000, rate: rate}, Sink: &recSink{}, Close: func() {
		a.mu.Lock()
		a.closes[callID]++
		a.mu.Unlock()
	}}, nil
}

// check waits until the call's audio is closed, and wants it opened and
// closed exactly once.
func (a *lifeAudio) check(t *testing.T, what, callID string) {
	t.Helper()
	deadline := time.Now().Add(sip.HangGuard)
	for {
		a.mu.Lock()
		opens, closes := a.opens[callID], a.closes[callID]
		a.mu.Unlock()
		if opens == 1 && closes == 1 {
			return
		}
		if opens > 1 || closes > 1 || time.Now().After(deadline) {
			t.Errorf("%s: audio opened %d times and closed %d times, want once each", what, opens, closes)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCallAudioOpenedOnceClosedOnEveryPath: a call's audio is opened once,
// as it is dialed or rings in (the ringback and the media share it), and
// closed once however the call ends: cancelled while ringing, answered
// and hung up, failed, rejected, cancelled by the caller, hung up by the
// remote. No goroutine of the calls is left. (The old code opened an
// outbound call's audio twice: at 8 kHz for the ringback and again at
// the answer.)
//
// Not parallel: it counts the process's goroutines.
func TestCallAudioOpenedOnceClosedOnEveryPath(t *testing.T) {
	life := newLifeAudio()
	pe := setupCallKam(t, siptest.KamailioOptions{}, []string{"PCMU"}, []string{"pcmu"}, "manual", 60*time.Second, nil,
		sip.WithAudio(life.factory))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	before := runtime.NumGoroutine()

	// We call, it rings, we cancel.
	c, err := pe.phone.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateRinging)
	time.Sleep(300 * time.Millisecond) // the ringback plays
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateEnded)
	life.check(t, "outbound cancelled", c.ID())

	// We call, it rings, baresip answers, we hang up.
	c, err = pe.phone.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateRinging)
	time.Sleep(300 * time.Millisecond)
	if _, err := pe.b.Command("accept", ""); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateConnected)
	time.Sleep(500 * time.Millisecond)
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateEnded)
	life.check(t, "outbound answered", c.ID())

	// We call a number nobody has.
	c, err = pe.phone.Dial(ctx, "1099")
	if err != nil {
		t.Fatal(err)
	}
	if end := pe.ev.waitCall(t, sip.StateEnded); !strings.Contains(end.Reason, "404") {
		t.Errorf("call to nobody ended %q", end.Reason)
	}
	life.check(t, "outbound failed", c.ID())

	// baresip calls; we reject.
	in := pe.dialUs(t)
	rc, _ := pe.phone.Call(in.CallID)
	if err := rc.Reject(ctx, 486); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateEnded)
	life.check(t, "inbound rejected", in.CallID)

	// baresip calls and gives up while we ring.
	in = pe.dialUs(t)
	time.Sleep(300 * time.Millisecond)
	if _, err := pe.b.Command("hangup", ""); err != nil {
		t.Fatal(err)
	}
	if end := pe.ev.waitCall(t, sip.StateEnded); end.Reason != "cancelled by the caller" {
		t.Errorf("caller's cancel ended %q", end.Reason)
	}
	life.check(t, "inbound cancelled by the caller", in.CallID)

	// baresip calls, we answer, baresip hangs up.
	in = pe.dialUs(t)
	ac, _ := pe.phone.Call(in.CallID)
	if err := ac.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateConnected)
	time.Sleep(500 * time.Millisecond)
	if _, err := pe.b.Command("hangup", ""); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateEnded)
	life.check(t, "inbound answered", in.CallID)

	deadline := time.Now().Add(sip.HangGuard)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("hang guard (%v): %d goroutines after the calls, %d before:\n%s", sip.HangGuard, n, before, buf[:runtime.Stack(buf, true)])
	}
}

// dialUs has baresip call our phone and waits for it to ring.
func (pe *peers) dialUs(t *testing.T) sip.IncomingCall {
	t.Helper()
	if _, err := pe.b.Command("dial", "sip:1001@"+pe.k.Addr()); err != nil {
		t.Fatal(err)
	}
	return pe.ev.waitEvent(t, sip.EventCallIncoming).(sip.IncomingCall)
}
