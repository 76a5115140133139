package record

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/openbpclient/bpclient/screen"
)

// Grabber is what a Feed captures with (screen/capture's Capturer is one).
type Grabber interface {
	Grab(f *screen.Frame) error
	Close() error
}

// Consumer takes the frames of a Feed: a recorder now, a live monitor
// later. Frame is called in the feed's goroutine with a frame that the
// next grab overwrites: a consumer that keeps it copies it.
type Consumer interface {
	Frame(f *screen.Frame)
	// GrabFailed is told each failed grab.
	GrabFailed(err error)
}

// Feed is one capture, paced by a ticker, handed to every consumer
// subscribed: recording and live monitoring share it rather than each
// grabbing the screen. With no consumer subscribed it grabs nothing.
type Feed struct {
	grab  Grabber
	clock clockwork.Clock

	mu   sync.Mutex
	subs []Consumer
	// delivering is held through a grab and its delivery, so that
	// Unsubscribe returns only once no frame is on its way to the
	// consumer that left.
	delivering sync.Mutex

	cancel context.CancelFunc
	done   chan struct{}
}

// NewFeed grabs from g fps times a second, by clock (nil: the wall
// clock), until Close, which closes g.
func NewFeed(g Grabber, fps int, clock clockwork.Clock) *Feed { return newFeed(g, fps, clock, nil) }

// newFeed is NewFeed with a hook that hears each tick handled (tests).
func newFeed(g Grabber, fps int, clock clockwork.Clock, ticked func()) *Feed {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Feed{grab: g, clock: clock, cancel: cancel, done: make(chan struct{})}
	t := clock.NewTicker(time.Second / time.Duration(fps))
	go func() {
		defer close(f.done)
		defer t.Stop()
		f.run(ctx, t, ticked)
	}()
	return f
}

// Subscribe adds c; the next tick's frame reaches it.
func (f *Feed) Subscribe(c Consumer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Contains(f.subs, c) {
		f.subs = append(f.subs, c)
	}
}

// Unsubscribe removes c. When it returns no grab for c is under way and
// none will be.
func (f *Feed) Unsubscribe(c Consumer) {
	f.mu.Lock()
	f.subs = slices.DeleteFunc(f.subs, func(s Consumer) bool { return s == c })
	f.mu.Unlock()
	f.delivering.Lock()
	f.delivering.Unlock() //nolint:staticcheck // waits out a delivery in progress
}

// Close stops the ticker and closes the grabber.
func (f *Feed) Close() error {
	f.cancel()
	<-f.done
	return f.grab.Close()
}

func (f *Feed) run(ctx context.Context, t clockwork.Ticker, ticked func()) {
	var frame screen.Frame
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		}
		f.delivering.Lock()
		f.mu.Lock()
		subs := slices.Clone(f.subs)
		f.mu.Unlock()
		if len(subs) > 0 {
			f.grabFor(&frame, subs)
		}
		f.delivering.Unlock()
		if ticked != nil {
			ticked()
		}
	}
}

func (f *Feed) grabFor(frame *screen.Frame, subs []Consumer) {
	frame.Time = time.Time{}
	if err := f.grab.Grab(frame); err != nil {
		for _, c := range subs {
			c.GrabFailed(err)
		}
		return
	}
	if frame.Time.IsZero() {
		frame.Time = f.clock.Now()
	}
	for _, c := range subs {
		c.Frame(frame)
	}
}
