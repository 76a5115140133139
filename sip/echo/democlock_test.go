package echo_test

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip"
	"github.com/openbpclient/bpclient/sip/echo"
)

// fakeClock is a demoClock the test moves and fires by hand.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	afterD time.Duration
	after  chan time.Time
	tick   chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Unix(1_000_000, 0), after: make(chan time.Time), tick: make(chan time.Time)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	c.afterD = d
	c.mu.Unlock()
	return c.after, func() {}
}

func (c *fakeClock) Every(time.Duration) (<-chan time.Time, func()) { return c.tick, func() {} }

// TestDemoClock: the reports are stamped by the clock from registration,
// the meter reads when the clock ticks, and the call is hung up when
// For (plus the settling time) has passed on the clock, not before.
func TestDemoClock(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	o := echo.DemoOptions{For: 10 * time.Minute}
	echo.SetDemoClock(&o, clock)
	reports, done := runDemo(context.Background(), o)
	isConnected := func(ev any) bool {
		cs, ok := ev.(sip.CallState)
		return ok && cs.State == sip.StateConnected
	}
	connected, _ := nextReport(t, reports, "connected", isConnected)
	if connected.At != 0 {
		t.Errorf("connected at %v on a clock that did not move", connected.At)
	}
	clock.mu.Lock()
	afterD := clock.afterD
	clock.mu.Unlock()
	if want := 10*time.Minute + echo.DemoSettle; afterD != want {
		t.Errorf("hang-up timer of %v, want %v", afterD, want)
	}
	clock.advance(1500 * time.Millisecond)
	// The meter reads once it has half a second of echo: tick until then.
	pace := time.NewTicker(100 * time.Millisecond)
	defer pace.Stop()
	guard := time.After(hangGuard)
	var heard echo.DemoEvent
	for heard.Event == nil {
		select {
		case clock.tick <- clock.Now():
			<-pace.C
		case r := <-reports:
			if _, ok := r.Event.(echo.EchoHeard); ok {
				heard = r
			}
		case <-guard:
			t.Fatalf("hang guard (%v): no echo heard", hangGuard)
		}
	}
	if h := heard.Event.(echo.EchoHeard); math.Abs(h.Hz-440) > 15 || heard.At != 1500*time.Millisecond {
		t.Errorf("heard %+v at %v, want 440 Hz at 1.5s", h, heard.At)
	}
	clock.advance(time.Second)
	select {
	case clock.after <- clock.Now():
	case <-guard:
		t.Fatalf("hang guard (%v): RunDemo does not wait for its timer", hangGuard)
	}
	hung, _ := nextReport(t, reports, "HungUp", func(ev any) bool { _, ok := ev.(echo.HungUp); return ok })
	if hung.Event.(echo.HungUp).State != sip.StateEnded || hung.At != 2500*time.Millisecond {
		t.Errorf("hung up %+v at %v, want ended at 2.5s", hung.Event, hung.At)
	}
	waitDone(t, done)
}
