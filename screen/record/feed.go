package record

import (
	"context"
	"fmt"
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

// StaleTeller is a Grabber that knows when the screens it was opened for
// changed (a monitor plugged in or out, a new resolution): its area is
// fixed at open, so the feed opens the capture again.
type StaleTeller interface {
	Stale() bool
}

// Consumer takes the frames of a Feed: the recorder and live
// monitoring's source.
type Consumer = screen.Consumer

// staleCheckEvery: how often a feed asks its grabber whether the screens
// changed (the question costs a round trip to the X server).
const staleCheckEvery = time.Second

// Feed is the agent's one capture of the screen, shared by every
// consumer subscribed (a recording and a live monitoring): it opens the
// capture when the first consumer subscribes, closes it when the last
// leaves, and opens it again when the screens change. It grabs at the
// highest rate a consumer asked for; each consumer gets the frames its
// own rate needs (see due). While a holder holds it (a recording
// paused: PCI) it grabs nothing for anybody.
type Feed struct {
	open   func() (Grabber, error)
	clock  clockwork.Clock
	ticked func() // tests: hears each tick handled
	group  *Feeds // holds go to every feed of it; nil: this one only

	mu      sync.Mutex
	subs    []*subscriber
	holders []any
	rate    int // the ticker's frames a second: the highest asked
	loop    *feedLoop
	stats   FeedStats
	// delivering is held through a grab and its delivery, and through
	// telling of a pause, so that Unsubscribe and Hold return only once
	// no frame is on its way.
	delivering sync.Mutex
}

// subscriber is one consumer and its rate. credit counts, in units of
// 1/rate of a tick, how far it is towards its next frame.
type subscriber struct {
	c      Consumer
	fps    int
	credit int
	// toldPaused is what a PauseListener was last told.
	toldPaused bool
	// now: an Eager consumer's first frame is due at once.
	now bool
}

// feedLoop is one opening of the capture and the goroutine that grabs.
type feedLoop struct {
	ticker clockwork.Ticker
	now    chan struct{} // a value: an Eager consumer waits for a frame
	cancel context.CancelFunc
	done   chan struct{}
}

// FeedStats count what a feed did (helper.status; the tests count grabs
// to show that recording and monitoring share one capture).
type FeedStats struct {
	Opens     int64 `json:"opens"`
	Grabs     int64 `json:"grabs"`
	Consumers int   `json:"consumers"`
	FPS       int   `json:"fps,omitempty"`
	Held      bool  `json:"held,omitempty"`
}

// NewFeed returns a feed that opens its capture with open on first use,
// paced by clock (nil: the wall clock).
func NewFeed(open func() (Grabber, error), clock clockwork.Clock) *Feed {
	return newFeed(open, clock, nil)
}

func newFeed(open func() (Grabber, error), clock clockwork.Clock, ticked func()) *Feed {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Feed{open: open, clock: clock, ticked: ticked}
}

// Stats says what the feed did so far and who uses it now.
func (f *Feed) Stats() FeedStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.Consumers, s.FPS, s.Held = len(f.subs), f.rate, len(f.holders) > 0
	return s
}

// running says whether the capture is open (tests).
func (f *Feed) running() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loop != nil
}

// Subscribe adds c at fps frames a second, opening the capture if c is
// the first consumer; its first frame comes with the next tick. A
// consumer subscribed again keeps one subscription, at the new rate.
func (f *Feed) Subscribe(c Consumer, fps int) error {
	if fps <= 0 {
		return fmt.Errorf("feed: %d frames a second", fps)
	}
	f.mu.Lock()
	if f.loop == nil {
		g, err := f.open()
		if err != nil {
			f.mu.Unlock()
			return fmt.Errorf("open the screen: %w", err)
		}
		f.stats.Opens++
		f.startLoopLocked(g, fps)
	}
	f.subs = slices.DeleteFunc(f.subs, func(s *subscriber) bool { return s.c == c })
	sub := &subscriber{c: c, fps: fps}
	f.subs = append(f.subs, sub)
	f.retimeLocked()
	// A new consumer's first frame is due at the next tick; an eager
	// one's at once, and its second a period of its own after.
	sub.credit = f.rate - fps
	if e, ok := c.(screen.Eager); ok && e.FrameAtOnce() {
		sub.credit, sub.now = 0, true
		select {
		case f.loop.now <- struct{}{}:
		default: // one is pending already
		}
	}
	f.mu.Unlock()
	if _, ok := c.(screen.PauseListener); ok {
		// One that comes while the feed is held hears it.
		f.delivering.Lock()
		f.tellPaused()
		f.delivering.Unlock()
	}
	return nil
}

// Unsubscribe removes c; the last consumer leaving closes the capture.
// When it returns no frame for c is under way and none will be. Not
// from a consumer's Frame (the feed's goroutine would wait on itself).
func (f *Feed) Unsubscribe(c Consumer) {
	f.mu.Lock()
	f.subs = slices.DeleteFunc(f.subs, func(s *subscriber) bool { return s.c == c })
	var last *feedLoop
	if len(f.subs) == 0 {
		last, f.loop, f.rate = f.loop, nil, 0
	} else {
		f.retimeLocked()
	}
	f.mu.Unlock()
	f.delivering.Lock()
	f.delivering.Unlock() //nolint:staticcheck // waits out a delivery in progress
	if last != nil {
		last.stop()
	}
}

// Hold stops every grab until each holder has released (a recording
// paused: nothing of the screen is captured, for recording or for
// monitoring). A feed of Feeds holds them all: a recording of the
// primary screen paused holds the monitoring of all of them too.
// Consumers that are PauseListeners hear it. When Hold returns no grab
// is under way and none will be.
func (f *Feed) Hold(holder any) {
	if f.group != nil {
		f.group.hold(holder)
		return
	}
	f.holdOne(holder)
}

// Release ends holder's hold; with no holder left the feed grabs again.
func (f *Feed) Release(holder any) {
	if f.group != nil {
		f.group.release(holder)
		return
	}
	f.releaseOne(holder)
}

func (f *Feed) holdOne(holder any) {
	f.mu.Lock()
	if !slices.Contains(f.holders, holder) {
		f.holders = append(f.holders, holder)
	}
	f.mu.Unlock()
	f.delivering.Lock()
	defer f.delivering.Unlock()
	f.tellPaused()
}

func (f *Feed) releaseOne(holder any) {
	f.mu.Lock()
	f.holders = slices.DeleteFunc(f.holders, func(h any) bool { return h == holder })
	f.mu.Unlock()
	f.delivering.Lock()
	defer f.delivering.Unlock()
	f.tellPaused()
}

// tellPaused tells each listener whether the feed is held, if it was not
// told so last; f.delivering held, so that no frame crosses the news and
// a Subscribe, a Hold and a Release that race each tell in order.
func (f *Feed) tellPaused() {
	f.mu.Lock()
	held := len(f.holders) > 0
	var tell []screen.PauseListener
	for _, s := range f.subs {
		if l, ok := s.c.(screen.PauseListener); ok && s.toldPaused != held {
			s.toldPaused = held
			tell = append(tell, l)
		}
	}
	f.mu.Unlock()
	for _, l := range tell {
		l.CapturePaused(held)
	}
}

// Close stops grabbing and closes the capture, whoever is subscribed
// (the agent shutting down; tests).
func (f *Feed) Close() error {
	f.mu.Lock()
	l := f.loop
	f.loop, f.subs, f.rate = nil, nil, 0
	f.mu.Unlock()
	if l != nil {
		l.stop()
	}
	return nil
}

// retimeLocked sets the ticker to the highest rate asked, keeping each
// consumer's place towards its next frame.
func (f *Feed) retimeLocked() {
	rate := 0
	for _, s := range f.subs {
		rate = max(rate, s.fps)
	}
	if rate == f.rate || rate == 0 {
		return
	}
	for _, s := range f.subs {
		if f.rate > 0 {
			s.credit = s.credit * rate / f.rate
		}
	}
	f.rate = rate
	f.loop.ticker.Reset(time.Second / time.Duration(rate))
}

func (f *Feed) startLoopLocked(g Grabber, fps int) {
	ctx, cancel := context.WithCancel(context.Background())
	l := &feedLoop{ticker: f.clock.NewTicker(time.Second / time.Duration(fps)), now: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	f.loop, f.rate = l, fps
	go func() {
		defer close(l.done)
		defer l.ticker.Stop()
		f.run(ctx, l, g)
	}()
}

func (l *feedLoop) stop() {
	l.cancel()
	<-l.done
}

// run grabs for the consumers due at each tick until ctx ends, and owns
// g: it closes it, and opens it again when the screens changed or a grab
// failed.
func (f *Feed) run(ctx context.Context, l *feedLoop, g Grabber) {
	defer func() {
		if g != nil {
			_ = g.Close()
		}
	}()
	var frame screen.Frame
	lastCheck := f.clock.Now()
	for {
		tick := false
		select {
		case <-ctx.Done():
			return
		case <-l.ticker.Chan():
			tick = true
		case <-l.now:
		}
		f.delivering.Lock()
		due := f.due(l, tick)
		if len(due) > 0 {
			if st, ok := g.(StaleTeller); ok && f.clock.Since(lastCheck) >= staleCheckEvery {
				lastCheck = f.clock.Now()
				if st.Stale() {
					_ = g.Close()
					g = nil
				}
			}
			g = f.grabFor(g, &frame, due)
		}
		f.delivering.Unlock()
		if f.ticked != nil && tick {
			f.ticked()
		}
	}
}

// due returns the consumers whose rate wants a frame at this tick: each
// gains its fps in credit a tick and takes a frame when it has the
// feed's rate, so a consumer at 2 fps on a feed at 10 takes every fifth
// grab, one at 3 on 10 takes three of each ten at even spacing. Out of
// a tick only the eager consumers that wait for their first frame are
// due. None while held, or when l is no longer the feed's loop.
func (f *Feed) due(l *feedLoop, tick bool) []Consumer {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.loop != l || len(f.holders) > 0 {
		return nil
	}
	var due []Consumer
	for _, s := range f.subs {
		if !tick {
			if s.now {
				s.now = false
				due = append(due, s.c)
			}
			continue
		}
		s.credit += s.fps
		if s.credit >= f.rate || s.now {
			s.credit, s.now = max(0, s.credit-f.rate), false
			due = append(due, s.c)
		}
	}
	return due
}

// grabFor grabs one frame for the consumers due, opening the capture
// again first if it was closed; it returns the grabber to use next.
func (f *Feed) grabFor(g Grabber, frame *screen.Frame, due []Consumer) Grabber {
	fail := func(err error) {
		for _, c := range due {
			c.GrabFailed(err)
		}
	}
	if g == nil {
		var err error
		if g, err = f.open(); err != nil {
			fail(fmt.Errorf("open the screen again: %w", err))
			return nil
		}
		f.mu.Lock()
		f.stats.Opens++
		f.mu.Unlock()
	}
	frame.Time = time.Time{}
	err := g.Grab(frame)
	f.mu.Lock()
	f.stats.Grabs++
	f.mu.Unlock()
	if err != nil {
		// The screens may have changed under the capture: the next tick
		// opens it again.
		_ = g.Close()
		fail(err)
		return nil
	}
	if frame.Time.IsZero() {
		frame.Time = f.clock.Now()
	}
	for _, c := range due {
		c.Frame(frame)
	}
	return g
}

// Feeds are the agent's feeds, one per choice of screens ("all",
// "primary"), each made on first use.
type Feeds struct {
	open  func(screens string) (Grabber, error)
	clock clockwork.Clock

	mu      sync.Mutex
	feeds   map[string]*Feed
	holders []any // every feed's, and a new one's from the start
}

// NewFeeds returns feeds that open their captures with open.
func NewFeeds(open func(screens string) (Grabber, error), clock clockwork.Clock) *Feeds {
	return &Feeds{open: open, clock: clock, feeds: map[string]*Feed{}}
}

// Open opens a capture of screens outside every feed, as a probe of
// whether the desktop can be captured at all; the caller closes it.
func (fs *Feeds) Open(screens string) (Grabber, error) { return fs.open(screens) }

// For returns the feed of screens.
func (fs *Feeds) For(screens string) *Feed {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.feeds[screens]
	if f == nil {
		f = NewFeed(func() (Grabber, error) { return fs.open(screens) }, fs.clock)
		f.group, f.holders = fs, slices.Clone(fs.holders)
		fs.feeds[screens] = f
	}
	return f
}

// hold holds every feed, and those made while held.
func (fs *Feeds) hold(holder any) {
	fs.mu.Lock()
	if !slices.Contains(fs.holders, holder) {
		fs.holders = append(fs.holders, holder)
	}
	feeds := fs.list()
	fs.mu.Unlock()
	for _, f := range feeds {
		f.holdOne(holder)
	}
}

func (fs *Feeds) release(holder any) {
	fs.mu.Lock()
	fs.holders = slices.DeleteFunc(fs.holders, func(h any) bool { return h == holder })
	feeds := fs.list()
	fs.mu.Unlock()
	for _, f := range feeds {
		f.releaseOne(holder)
	}
}

// list returns the feeds; fs.mu held.
func (fs *Feeds) list() []*Feed {
	out := make([]*Feed, 0, len(fs.feeds))
	for _, f := range fs.feeds {
		out = append(out, f)
	}
	return out
}

// Stats are each feed's, by its screens.
func (fs *Feeds) Stats() map[string]FeedStats {
	fs.mu.Lock()
	feeds := make(map[string]*Feed, len(fs.feeds))
	for k, f := range fs.feeds {
		feeds[k] = f
	}
	fs.mu.Unlock()
	out := make(map[string]FeedStats, len(feeds))
	for k, f := range feeds {
		out[k] = f.Stats()
	}
	return out
}

// Close closes every feed.
func (fs *Feeds) Close() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.feeds {
		_ = f.Close()
	}
}
