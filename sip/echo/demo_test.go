package echo_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip"
	"github.com/openbpclient/bpclient/sip/echo"
)

// runDemo runs RunDemo in the background; its reports arrive on the
// returned channel, and its result on the other once it returns.
func runDemo(ctx context.Context, o echo.DemoOptions) (<-chan echo.DemoEvent, <-chan error) {
	reports := make(chan echo.DemoEvent, 1024)
	done := make(chan error, 1)
	o.Report = func(ev echo.DemoEvent) { reports <- ev }
	go func() { done <- echo.RunDemo(ctx, o) }()
	return reports, done
}

// nextReport waits for a report that match accepts, up to the hang guard,
// and returns it and the events seen on the way (it included).
func nextReport(t *testing.T, reports <-chan echo.DemoEvent, what string, match func(any) bool) (echo.DemoEvent, []any) {
	t.Helper()
	var seen []any
	deadline := time.After(hangGuard)
	for {
		select {
		case r := <-reports:
			seen = append(seen, r.Event)
			if match(r.Event) {
				return r, seen
			}
		case <-deadline:
			t.Fatalf("hang guard (%v): no %s; saw %v", hangGuard, what, seen)
		}
	}
}

func waitDone(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunDemo: %v", err)
		}
	case <-time.After(hangGuard):
		t.Fatalf("hang guard (%v): RunDemo did not return", hangGuard)
	}
}

// TestDemoTone: with no sound card, the demo says it sends a 440 Hz tone,
// reports the echo of it at that frequency and level, and hangs up when
// its context ends.
func TestDemoTone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	asked := false
	reports, done := runDemo(ctx, echo.DemoOptions{Audio: func() sip.AudioFactory { asked = true; return nil }})
	_, seen := nextReport(t, reports, "an echo of the tone", func(ev any) bool {
		h, ok := ev.(echo.EchoHeard)
		return ok && math.Abs(h.Hz-440) < 15
	})
	if _, ok := seen[0].(echo.ServiceUp); !ok {
		t.Errorf("first report %#v, want ServiceUp", seen[0])
	}
	if tone, ok := seen[1].(echo.ToneFallback); !ok || tone.Hz != 440 {
		t.Errorf("second report %#v, want a 440 Hz ToneFallback", seen[1])
	}
	if !asked {
		t.Error("RunDemo did not ask for the audio")
	}
	heard := seen[len(seen)-1].(echo.EchoHeard)
	// The tone is sent at 0.3 of full scale: -13.5 dBFS RMS.
	if math.Abs(heard.DBFS-(-13.5)) > 1.5 {
		t.Errorf("echo at %.1f dBFS, want about -13.5", heard.DBFS)
	}
	var states []string
	for _, ev := range seen {
		if cs, ok := ev.(sip.CallState); ok {
			states = append(states, cs.State)
		}
	}
	if len(states) == 0 || states[len(states)-1] != sip.StateConnected {
		t.Errorf("call states before the echo %v, want connected last", states)
	}
	cancel()
	nextReport(t, reports, "HangingUp", func(ev any) bool { _, ok := ev.(echo.HangingUp); return ok })
	hung, _ := nextReport(t, reports, "HungUp", func(ev any) bool { _, ok := ev.(echo.HungUp); return ok })
	if st := hung.Event.(echo.HungUp).State; st != sip.StateEnded {
		t.Errorf("after hanging up the call is %q, want %q", st, sip.StateEnded)
	}
	waitDone(t, done)
}

// TestDemoDeviceAudio: the audio the caller gives is the call's: its
// microphone's tone comes back on its speaker, and no tone fallback is
// reported. With For set, the demo hangs up by itself.
func TestDemoDeviceAudio(t *testing.T) {
	t.Parallel()
	audio := newToneAudio(t, 700)
	reports, done := runDemo(context.Background(), echo.DemoOptions{
		Audio: func() sip.AudioFactory { return audio.factory },
		For:   time.Second,
	})
	audio.waitHeard(t, time.Second)
	_, seen := nextReport(t, reports, "HungUp", func(ev any) bool { _, ok := ev.(echo.HungUp); return ok })
	waitDone(t, done)
	for _, ev := range seen {
		switch ev.(type) {
		case echo.ToneFallback, echo.EchoHeard:
			t.Errorf("reported %#v with the caller's audio", ev)
		}
	}
	if st := seen[len(seen)-1].(echo.HungUp).State; st != sip.StateEnded {
		t.Errorf("after hanging up the call is %q, want %q", st, sip.StateEnded)
	}
	checkTone(t, "the echo", audio.all(), audio.rate(), 700)
}
