package sip

import (
	"net"
	"sync"
	"time"
)

// frameClock wakes the media loop once per frame period. The loop counts
// due frames by the wall clock itself, so a clock only needs to wake it
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
