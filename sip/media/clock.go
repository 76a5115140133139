package media

import (
	"net"
	"sync"
	"time"
)

// Clock is the time a call's media engine reads and waits on: the
// wall clock in a call, a clock a test advances by hand, so that the
// engine's timing (flow checks, reports, RTT, playout delay) can be
// tested without sleeping.
type Clock interface {
	Now() time.Time
	// NewTicker fires every d until stopped, dropping ticks nobody took,
	// like time.Ticker.
	NewTicker(d time.Duration) Ticker
	// newFrameClock wakes the playout and send loop once per d.
	newFrameClock(d time.Duration) frameClock
}

// Ticker is the part of time.Ticker the engine uses.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// WallClock is the real Clock.
func WallClock() Clock { return wallClock{} }

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) NewTicker(d time.Duration) Ticker { return wallTicker{time.NewTicker(d)} }

func (wallClock) newFrameClock(d time.Duration) frameClock { return newFrameClock(d) }

type wallTicker struct{ t *time.Ticker }

func (w wallTicker) C() <-chan time.Time { return w.t.C }
func (w wallTicker) Stop()               { w.t.Stop() }

// frameClock wakes the media loop once per frame period. The loop counts
// due frames by its Clock itself, so a frame clock only needs to wake it
// about on time; a late or merged wake-up is caught up.
type frameClock interface {
	// wait blocks until the next period begins; it fails once the clock
	// is closed.
	wait() error
	// close ends the clock and wakes a wait in progress; safe to repeat.
	close()
}

// tickerClock is the portable clock: a time.Ticker.
type tickerClock struct {
	t    *time.Ticker
	done chan struct{}
	once sync.Once
}

func newTickerClock(d time.Duration) frameClock {
	return &tickerClock{t: time.NewTicker(d), done: make(chan struct{})}
}

func (c *tickerClock) wait() error {
	select {
	case <-c.done:
		return net.ErrClosed
	case <-c.t.C:
		return nil
	}
}

func (c *tickerClock) close() {
	c.once.Do(func() {
		c.t.Stop()
		close(c.done)
	})
}
