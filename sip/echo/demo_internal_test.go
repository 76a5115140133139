package echo

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip"
)

// hangGuardInternal bounds this file's waits (echo_test's hangGuard is
// another package's).
const hangGuardInternal = 30 * time.Second

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
	reports := make(chan DemoEvent, 1024)
	done := make(chan error, 1)
	go func() {
		done <- RunDemo(context.Background(), DemoOptions{For: 10 * time.Minute, clock: clock,
			Report: func(ev DemoEvent) { reports <- ev }})
	}()
	guard := time.After(hangGuardInternal)
	next := func(what string, match func(DemoEvent) bool) DemoEvent {
		t.Helper()
		for {
			select {
			case r := <-reports:
				if match(r) {
					return r
				}
			case <-guard:
				t.Fatalf("hang guard (%v): no %s", hangGuardInternal, what)
			}
		}
	}
	connected := next("connected", func(r DemoEvent) bool {
		cs, ok := r.Event.(sip.CallState)
		return ok && cs.State == sip.StateConnected
	})
	if connected.At != 0 {
		t.Errorf("connected at %v on a clock that did not move", connected.At)
	}
	clock.mu.Lock()
	afterD := clock.afterD
	clock.mu.Unlock()
	if want := 10*time.Minute + demoSettle; afterD != want {
		t.Errorf("hang-up timer of %v, want %v", afterD, want)
	}
	clock.advance(1500 * time.Millisecond)
	// The meter reads once it has half a second of echo: tick until then.
	pace := time.NewTicker(100 * time.Millisecond)
	defer pace.Stop()
	var heard DemoEvent
	for heard.Event == nil {
		select {
		case clock.tick <- clock.Now():
		case r := <-reports:
			if _, ok := r.Event.(EchoHeard); ok {
				heard = r
			}
			continue
		case <-guard:
			t.Fatalf("hang guard (%v): no echo heard", hangGuardInternal)
		}
		select {
		case <-pace.C:
		case r := <-reports:
			if _, ok := r.Event.(EchoHeard); ok {
				heard = r
			}
		}
	}
	if h := heard.Event.(EchoHeard); math.Abs(h.Hz-demoToneHz) > 15 || heard.At != 1500*time.Millisecond {
		t.Errorf("heard %+v at %v, want %d Hz at 1.5s", h, heard.At, demoToneHz)
	}
	clock.advance(time.Second)
	select {
	case clock.after <- clock.Now():
	case <-guard:
		t.Fatalf("hang guard (%v): RunDemo does not wait for its timer", hangGuardInternal)
	}
	hung := next("HungUp", func(r DemoEvent) bool { _, ok := r.Event.(HungUp); return ok })
	if hung.Event.(HungUp).State != sip.StateEnded || hung.At != 2500*time.Millisecond {
		t.Errorf("hung up %+v at %v, want ended at 2.5s", hung.Event, hung.At)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-guard:
		t.Fatalf("hang guard (%v): RunDemo did not return", hangGuardInternal)
	}
}
