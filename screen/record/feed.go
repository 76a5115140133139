package record

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/capture"
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

// ScreenLister is a Grabber that lists the monitors (screen/capture's
// Capturer is one). A capture of all of them is asked once an opening
// where the primary one lies, so that the consumers of the primary
// screen alone get it cropped out of the capture that serves everybody.
type ScreenLister interface {
	Screens() ([]capture.Screen, error)
}

// The choices of screens a feed is for (screen.record.start's screens).
const (
	ScreensAll     = "all"
	ScreensPrimary = "primary"
)

// Consumer takes the frames of a Feed: the recorder and live
// monitoring's source.
type Consumer = screen.Consumer

// staleCheckEvery: how often a feed asks its grabber whether the screens
// changed (the question costs a round trip to the X server).
const staleCheckEvery = time.Second

// Feed is the way into the agent's one capture of the screen for the
// consumers of one choice of screens (a recording, a live monitoring).
// Every Feed of a Feeds shares that capture: it opens when the first
// consumer subscribes, closes when the last leaves, and opens again when
// the screens change. It grabs every monitor when any consumer wants
// them all, and the consumers of the primary screen alone get that
// monitor's rectangle cropped out of the same frame; with only those,
// it grabs the primary alone (cheaper). It grabs at the highest rate a
// consumer asked for; each consumer gets the frames its own rate needs
// (see due). While a holder holds it (a recording paused: PCI) it grabs
// nothing for anybody.
type Feed struct {
	c *sharedCapture
	// primary: this feed's consumers want the primary monitor alone.
	primary bool
}

// sharedCapture is the one capture behind the feeds of a Feeds.
type sharedCapture struct {
	open   func(screens string) (Grabber, error)
	clock  clockwork.Clock
	ticked func() // tests: hears each tick handled

	mu      sync.Mutex
	subs    []*subscriber
	holders []any
	rate    int // the ticker's frames a second: the highest asked
	loop    *feedLoop
	opens   int64
	grabs   int64
	by      map[string]*FeedStats // opens and grabs by the screens grabbed
	openNow string                // what the open capture grabs; "" while none is
	// delivering is held through a grab and its delivery, and through
	// telling of a pause, so that Unsubscribe and Hold return only once
	// no frame is on its way.
	delivering sync.Mutex
}

// subscriber is one consumer and its rate. credit counts, in units of
// 1/rate of a tick, how far it is towards its next frame.
type subscriber struct {
	c       Consumer
	fps     int
	primary bool // the primary monitor alone
	credit  int
	// toldPaused is what a PauseListener was last told.
	toldPaused bool
	// now: an Eager consumer's first frame is due at once.
	now bool
}

// dueConsumer is a consumer a grab is for.
type dueConsumer struct {
	c       Consumer
	primary bool
}

// feedLoop is the goroutine that grabs while anybody is subscribed.
type feedLoop struct {
	ticker clockwork.Ticker
	now    chan struct{} // a value: an Eager consumer waits for a frame
	cancel context.CancelFunc
	done   chan struct{}
}

// opening is one opening of the capture, owned by the loop's goroutine.
type opening struct {
	g       Grabber
	screens string // what it grabs: ScreensAll or ScreensPrimary
	// located: where the primary monitor lies in a capture of all of
	// them was asked (primary and size, or locateErr).
	located   bool
	primary   image.Rectangle
	size      image.Point
	locateErr error
}

// errLayoutMoved: the frames of a capture of all the monitors are not
// the size of the monitors' bounding box it was told: they changed
// between the opening and the question.
var errLayoutMoved = errors.New("the monitors changed: the capture of all of them opens again")

// FeedStats count what a feed did (helper.status; the tests count grabs
// to show that recording and monitoring share one capture).
type FeedStats struct {
	Opens     int64 `json:"opens"`
	Grabs     int64 `json:"grabs"`
	Consumers int   `json:"consumers"`
	FPS       int   `json:"fps,omitempty"`
	Held      bool  `json:"held,omitempty"`
	// Cropped of the consumers get the primary monitor cropped out of
	// this capture of all of them.
	Cropped int `json:"cropped,omitempty"`
}

// NewFeed returns a feed of its own capture, opened with open on first
// use, paced by clock (nil: the wall clock); its consumers get the whole
// of what open grabs.
func NewFeed(open func() (Grabber, error), clock clockwork.Clock) *Feed {
	return newFeed(open, clock, nil)
}

func newFeed(open func() (Grabber, error), clock clockwork.Clock, ticked func()) *Feed {
	return &Feed{c: newSharedCapture(func(string) (Grabber, error) { return open() }, clock, ticked)}
}

func newSharedCapture(open func(screens string) (Grabber, error), clock clockwork.Clock, ticked func()) *sharedCapture {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &sharedCapture{open: open, clock: clock, ticked: ticked, by: map[string]*FeedStats{}}
}

// Stats says what the capture behind the feed did so far and who uses
// it now (every choice of screens).
func (f *Feed) Stats() FeedStats {
	c := f.c
	c.mu.Lock()
	defer c.mu.Unlock()
	s := FeedStats{Opens: c.opens, Grabs: c.grabs, Consumers: len(c.subs), FPS: c.rate, Held: len(c.holders) > 0}
	if len(c.subs) > 0 && c.nowLocked() == ScreensAll {
		s.Cropped = c.primariesLocked()
	}
	return s
}

// running says whether the capture is open (tests).
func (f *Feed) running() bool {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	return f.c.loop != nil
}

// Subscribe adds c at fps frames a second, opening the capture if c is
// the first consumer; its first frame comes with the next tick. A
// consumer subscribed again keeps one subscription, at the new rate and
// with this feed's screens.
func (f *Feed) Subscribe(c Consumer, fps int) error { return f.c.subscribe(c, fps, f.primary) }

// Unsubscribe removes c; the last consumer leaving closes the capture.
// When it returns no frame for c is under way and none will be. Not
// from a consumer's Frame (the feed's goroutine would wait on itself).
func (f *Feed) Unsubscribe(c Consumer) { f.c.unsubscribe(c) }

// Hold stops every grab until each holder has released (a recording
// paused: nothing of the screen is captured, for recording or for
// monitoring, whichever screens each asked for: they share the one
// capture). Consumers that are PauseListeners hear it. When Hold returns
// no grab is under way and none will be.
func (f *Feed) Hold(holder any) { f.c.hold(holder) }

// Release ends holder's hold; with no holder left the feed grabs again.
func (f *Feed) Release(holder any) { f.c.release(holder) }

// Close stops grabbing and closes the capture, whoever is subscribed
// (the agent shutting down; tests).
func (f *Feed) Close() error {
	f.c.close()
	return nil
}

func (c *sharedCapture) subscribe(cons Consumer, fps int, primary bool) error {
	if fps <= 0 {
		return fmt.Errorf("feed: %d frames a second", fps)
	}
	c.mu.Lock()
	if c.loop == nil {
		// Nobody else: what this consumer wants is what is grabbed.
		screens := screensOf(primary)
		g, err := c.open(screens)
		if err != nil {
			c.mu.Unlock()
			return fmt.Errorf("open the screen: %w", err)
		}
		c.startLoopLocked(&opening{g: g, screens: screens}, fps)
		c.openedLocked(c.loop, screens)
	}
	c.subs = slices.DeleteFunc(c.subs, func(s *subscriber) bool { return s.c == cons })
	sub := &subscriber{c: cons, fps: fps, primary: primary}
	c.subs = append(c.subs, sub)
	c.retimeLocked()
	// A new consumer's first frame is due at the next tick; an eager
	// one's at once, and its second a period of its own after.
	sub.credit = c.rate - fps
	if e, ok := cons.(screen.Eager); ok && e.FrameAtOnce() {
		sub.credit, sub.now = 0, true
		select {
		case c.loop.now <- struct{}{}:
		default: // one is pending already
		}
	}
	c.mu.Unlock()
	if _, ok := cons.(screen.PauseListener); ok {
		// One that comes while the feed is held hears it.
		c.delivering.Lock()
		c.tellPaused()
		c.delivering.Unlock()
	}
	return nil
}

func screensOf(primary bool) string {
	if primary {
		return ScreensPrimary
	}
	return ScreensAll
}

// wantLocked is what the capture should grab for the consumers now:
// every monitor when any of them wants all, else the primary alone.
func (c *sharedCapture) wantLocked() string {
	if c.primariesLocked() < len(c.subs) {
		return ScreensAll
	}
	return ScreensPrimary
}

// nowLocked is what the capture open now grabs; between two openings
// (the choice of screens changed), what the next will.
func (c *sharedCapture) nowLocked() string {
	if c.openNow != "" {
		return c.openNow
	}
	return c.wantLocked()
}

// primariesLocked counts the consumers of the primary monitor alone.
func (c *sharedCapture) primariesLocked() int {
	n := 0
	for _, s := range c.subs {
		if s.primary {
			n++
		}
	}
	return n
}

// openedLocked counts an opening of screens by l, the capture open now
// if l is still the loop.
func (c *sharedCapture) openedLocked(l *feedLoop, screens string) {
	c.opens++
	c.byLocked(screens).Opens++
	if c.loop == l {
		c.openNow = screens
	}
}

// shut closes l's opening: no capture is open now, unless a loop after l
// opened its own.
func (c *sharedCapture) shut(l *feedLoop, o *opening) {
	o.close()
	c.mu.Lock()
	if c.loop == l || c.loop == nil {
		c.openNow = ""
	}
	c.mu.Unlock()
}

func (c *sharedCapture) byLocked(screens string) *FeedStats {
	s := c.by[screens]
	if s == nil {
		s = &FeedStats{}
		c.by[screens] = s
	}
	return s
}

func (c *sharedCapture) unsubscribe(cons Consumer) {
	c.mu.Lock()
	c.subs = slices.DeleteFunc(c.subs, func(s *subscriber) bool { return s.c == cons })
	var last *feedLoop
	if len(c.subs) == 0 {
		last, c.loop, c.rate = c.loop, nil, 0
	} else {
		c.retimeLocked()
	}
	c.mu.Unlock()
	c.delivering.Lock()
	c.delivering.Unlock() //nolint:staticcheck // waits out a delivery in progress
	if last != nil {
		last.stop()
	}
}

func (c *sharedCapture) hold(holder any) {
	c.mu.Lock()
	if !slices.Contains(c.holders, holder) {
		c.holders = append(c.holders, holder)
	}
	c.mu.Unlock()
	c.delivering.Lock()
	defer c.delivering.Unlock()
	c.tellPaused()
}

func (c *sharedCapture) release(holder any) {
	c.mu.Lock()
	c.holders = slices.DeleteFunc(c.holders, func(h any) bool { return h == holder })
	c.mu.Unlock()
	c.delivering.Lock()
	defer c.delivering.Unlock()
	c.tellPaused()
}

// tellPaused tells each listener whether the capture is held, if it was
// not told so last; c.delivering held, so that no frame crosses the news
// and a Subscribe, a Hold and a Release that race each tell in order.
func (c *sharedCapture) tellPaused() {
	c.mu.Lock()
	held := len(c.holders) > 0
	var tell []screen.PauseListener
	for _, s := range c.subs {
		if l, ok := s.c.(screen.PauseListener); ok && s.toldPaused != held {
			s.toldPaused = held
			tell = append(tell, l)
		}
	}
	c.mu.Unlock()
	for _, l := range tell {
		l.CapturePaused(held)
	}
}

func (c *sharedCapture) close() {
	c.mu.Lock()
	l := c.loop
	c.loop, c.subs, c.rate = nil, nil, 0
	c.mu.Unlock()
	if l != nil {
		l.stop()
	}
}

// retimeLocked sets the ticker to the highest rate asked, keeping each
// consumer's place towards its next frame.
func (c *sharedCapture) retimeLocked() {
	rate := 0
	for _, s := range c.subs {
		rate = max(rate, s.fps)
	}
	if rate == c.rate || rate == 0 {
		return
	}
	for _, s := range c.subs {
		if c.rate > 0 {
			s.credit = s.credit * rate / c.rate
		}
	}
	c.rate = rate
	c.loop.ticker.Reset(time.Second / time.Duration(rate))
}

func (c *sharedCapture) startLoopLocked(o *opening, fps int) {
	ctx, cancel := context.WithCancel(context.Background())
	l := &feedLoop{ticker: c.clock.NewTicker(time.Second / time.Duration(fps)), now: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	c.loop, c.rate = l, fps
	go func() {
		defer close(l.done)
		defer l.ticker.Stop()
		c.run(ctx, l, o)
	}()
}

func (l *feedLoop) stop() {
	l.cancel()
	<-l.done
}

// run grabs for the consumers due at each tick until ctx ends, and owns
// the opening: it closes it, and opens it again when the screens changed,
// a grab failed or the consumers now want other screens.
func (c *sharedCapture) run(ctx context.Context, l *feedLoop, o *opening) {
	defer c.shut(l, o)
	var frame, crop screen.Frame
	lastCheck := c.clock.Now()
	for {
		tick := false
		select {
		case <-ctx.Done():
			return
		case <-l.ticker.Chan():
			tick = true
		case <-l.now:
		}
		c.delivering.Lock()
		due, want := c.due(l, tick)
		if len(due) > 0 {
			if o.g != nil && o.screens != want {
				// A monitoring of all joined a recording of the primary,
				// or left it: one capture of what is wanted now.
				c.shut(l, o)
			}
			if st, ok := o.g.(StaleTeller); ok && c.clock.Since(lastCheck) >= staleCheckEvery {
				lastCheck = c.clock.Now()
				if st.Stale() {
					c.shut(l, o)
				}
			}
			c.grabFor(l, o, want, &frame, &crop, due)
		}
		c.delivering.Unlock()
		if c.ticked != nil && tick {
			c.ticked()
		}
	}
}

func (o *opening) close() {
	if o.g != nil {
		_ = o.g.Close()
	}
	*o = opening{}
}

// due returns the consumers whose rate wants a frame at this tick, and
// the screens the capture should grab for all the consumers: each gains
// its fps in credit a tick and takes a frame when it has the feed's
// rate, so a consumer at 2 fps on a feed at 10 takes every fifth grab,
// one at 3 on 10 takes three of each ten at even spacing. Out of a tick
// only the eager consumers that wait for their first frame are due. None
// while held, or when l is no longer the feed's loop.
func (c *sharedCapture) due(l *feedLoop, tick bool) ([]dueConsumer, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loop != l || len(c.holders) > 0 {
		return nil, ""
	}
	var due []dueConsumer
	for _, s := range c.subs {
		if !tick {
			if s.now {
				s.now = false
				due = append(due, dueConsumer{s.c, s.primary})
			}
			continue
		}
		s.credit += s.fps
		if s.credit >= c.rate || s.now {
			s.credit, s.now = max(0, s.credit-c.rate), false
			due = append(due, dueConsumer{s.c, s.primary})
		}
	}
	return due, c.wantLocked()
}

// grabFor grabs one frame for the consumers due, opening the capture of
// want first if it is closed, and hands each consumer of the primary
// screen alone its crop when the capture is of all of them.
func (c *sharedCapture) grabFor(l *feedLoop, o *opening, want string, frame, crop *screen.Frame, due []dueConsumer) {
	fail := func(err error) {
		for _, d := range due {
			d.c.GrabFailed(err)
		}
	}
	if o.g == nil {
		g, err := c.open(want)
		if err != nil {
			fail(fmt.Errorf("open the screen again: %w", err))
			return
		}
		*o = opening{g: g, screens: want}
		c.mu.Lock()
		c.openedLocked(l, want)
		c.mu.Unlock()
	}
	frame.Time = time.Time{}
	err := o.g.Grab(frame)
	c.mu.Lock()
	c.grabs++
	c.byLocked(o.screens).Grabs++
	c.mu.Unlock()
	if err != nil {
		// The screens may have changed under the capture: the next tick
		// opens it again.
		c.shut(l, o)
		fail(err)
		return
	}
	if frame.Time.IsZero() {
		frame.Time = c.clock.Now()
	}
	cropped, cropErr := frame, error(nil)
	if o.screens == ScreensAll && slices.ContainsFunc(due, func(d dueConsumer) bool { return d.primary }) {
		cropped, cropErr = o.cropPrimary(frame, crop)
	}
	for _, d := range due {
		switch {
		case !d.primary:
			d.c.Frame(frame)
		case cropErr != nil:
			d.c.GrabFailed(cropErr)
		default:
			d.c.Frame(cropped)
		}
	}
	if errors.Is(cropErr, errLayoutMoved) {
		c.shut(l, o)
	}
}

// cropPrimary copies the primary monitor's rectangle out of f, a frame
// of every monitor, into dst: a frame of its own with a tight stride, as
// a capture of the primary alone gives (the encoders take whole frames);
// f itself when the primary is all of it.
func (o *opening) cropPrimary(f, dst *screen.Frame) (*screen.Frame, error) {
	if !o.located {
		o.located = true
		o.primary, o.size, o.locateErr = locatePrimary(o.g)
	}
	if o.locateErr != nil {
		return nil, o.locateErr
	}
	if f.Width != o.size.X || f.Height != o.size.Y {
		return nil, fmt.Errorf("%w (a %dx%d frame, monitors of %dx%d)", errLayoutMoved, f.Width, f.Height, o.size.X, o.size.Y)
	}
	r := o.primary
	if r == image.Rect(0, 0, f.Width, f.Height) {
		return f, nil // one monitor: the primary is all of them
	}
	dst.Resize(r.Dx(), r.Dy())
	row := r.Dx() * screen.BytesPerPixel
	for y := range r.Dy() {
		copy(dst.Pix[y*dst.Stride:][:row], f.Pix[(r.Min.Y+y)*f.Stride+r.Min.X*screen.BytesPerPixel:][:row])
	}
	dst.Time = f.Time
	return dst, nil
}

// locatePrimary asks g, a capture of every monitor, where the primary
// one lies in its frames.
func locatePrimary(g Grabber) (image.Rectangle, image.Point, error) {
	l, ok := g.(ScreenLister)
	if !ok {
		return image.Rectangle{}, image.Point{}, errors.New("the capture of all the screens cannot tell where the primary one is")
	}
	screens, err := l.Screens()
	if err != nil {
		return image.Rectangle{}, image.Point{}, fmt.Errorf("list the monitors: %w", err)
	}
	return capture.PrimaryWithin(screens)
}

// Feeds are the agent's ways into its one capture of the screen: one
// Feed for the consumers of every monitor, one for those of the primary
// monitor alone.
type Feeds struct {
	c            *sharedCapture
	all, primary *Feed
}

// NewFeeds returns feeds that open their capture with open
// (ScreensAll or ScreensPrimary).
func NewFeeds(open func(screens string) (Grabber, error), clock clockwork.Clock) *Feeds {
	return newFeeds(open, clock, nil)
}

func newFeeds(open func(screens string) (Grabber, error), clock clockwork.Clock, ticked func()) *Feeds {
	c := newSharedCapture(open, clock, ticked)
	return &Feeds{c: c, all: &Feed{c: c}, primary: &Feed{c: c, primary: true}}
}

// Open opens a capture of screens outside every feed, as a probe of
// whether the desktop can be captured at all; the caller closes it.
func (fs *Feeds) Open(screens string) (Grabber, error) { return fs.c.open(screens) }

// For returns the feed of screens: ScreensPrimary, or every monitor
// (ScreensAll, and any other word).
func (fs *Feeds) For(screens string) *Feed {
	if screens == ScreensPrimary {
		return fs.primary
	}
	return fs.all
}

// Stats are the capture's, by the screens it grabbed (ScreensAll,
// ScreensPrimary): opens and grabs of each since the start; the
// consumers, their rate and how many get the primary cropped out stand
// at the one capture open now (until the next frame, the one open for
// the consumers before a change of who wants what).
func (fs *Feeds) Stats() map[string]FeedStats {
	c := fs.c
	c.mu.Lock()
	defer c.mu.Unlock()
	held := len(c.holders) > 0
	out := make(map[string]FeedStats, len(c.by)+1)
	for k, s := range c.by {
		out[k] = FeedStats{Opens: s.Opens, Grabs: s.Grabs, Held: held}
	}
	if len(c.subs) > 0 {
		now := c.nowLocked()
		s := out[now]
		s.Consumers, s.FPS, s.Held = len(c.subs), c.rate, held
		if now == ScreensAll {
			s.Cropped = c.primariesLocked()
		}
		out[now] = s
	}
	return out
}

// Close closes the capture.
func (fs *Feeds) Close() { fs.c.close() }
