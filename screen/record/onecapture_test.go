package record

import (
	"fmt"
	"image"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/capture"
)

// twoMonitors is a desktop of two monitors whose every pixel says where
// it is (blue its x, green its y, red the layout's number), and the
// captures of it that feeds open.
type twoMonitors struct {
	mu      sync.Mutex
	screens []capture.Screen
	layout  byte
	opens   map[string]int
	grabs   int
	open    int // captures open now
	maxOpen int
}

// leftAndPrimary: a monitor of 40×24 at 0,8 and the primary, 24×32 at
// 40,0; their bounding box is 64×32.
func leftAndPrimary() *twoMonitors {
	return &twoMonitors{opens: map[string]int{}, screens: []capture.Screen{
		{Index: 0, Name: "LEFT", X: 0, Y: 8, Width: 40, Height: 24},
		{Index: 1, Name: "PRIM", Primary: true, X: 40, Y: 0, Width: 24, Height: 32},
	}}
}

func rectOf(s capture.Screen) image.Rectangle { return image.Rect(s.X, s.Y, s.X+s.Width, s.Y+s.Height) }

// areaLocked is what a capture of screens grabs now, in desktop
// coordinates.
func (d *twoMonitors) areaLocked(screens string) image.Rectangle {
	var box image.Rectangle
	for _, s := range d.screens {
		if screens == ScreensPrimary && s.Primary {
			return rectOf(s)
		}
		box = box.Union(rectOf(s))
	}
	return box
}

func (d *twoMonitors) openCapture(screens string) (Grabber, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.opens[screens]++
	d.open++
	d.maxOpen = max(d.maxOpen, d.open)
	return &monitorsCapture{d: d, area: d.areaLocked(screens), layout: d.layout}, nil
}

// change moves the monitors: the captures open are stale.
func (d *twoMonitors) change(screens []capture.Screen) {
	d.mu.Lock()
	d.screens, d.layout = screens, d.layout+1
	d.mu.Unlock()
}

func (d *twoMonitors) counts() (grabs, maxOpen int, opens map[string]int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o := map[string]int{}
	for k, v := range d.opens {
		o[k] = v
	}
	return d.grabs, d.maxOpen, o
}

// monitorsCapture grabs a fixed area of the desktop, as a real capture
// does (its area is fixed at open).
type monitorsCapture struct {
	d      *twoMonitors
	area   image.Rectangle
	layout byte
	closed bool
}

func (c *monitorsCapture) Grab(f *screen.Frame) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	c.d.grabs++
	f.Resize(c.area.Dx(), c.area.Dy())
	for y := range f.Height {
		for x := range f.Width {
			i := y*f.Stride + x*screen.BytesPerPixel
			f.Pix[i], f.Pix[i+1], f.Pix[i+2] = byte(c.area.Min.X+x), byte(c.area.Min.Y+y), c.d.layout
		}
	}
	return nil
}

func (c *monitorsCapture) Screens() ([]capture.Screen, error) {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	return append([]capture.Screen(nil), c.d.screens...), nil
}

func (c *monitorsCapture) Stale() bool {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	return c.layout != c.d.layout
}

func (c *monitorsCapture) Close() error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	if !c.closed {
		c.closed = true
		c.d.open--
	}
	return nil
}

// frameKeeper keeps a copy of every frame and the pauses it heard.
type frameKeeper struct {
	countingConsumer
	mu     sync.Mutex
	frames []screen.Frame
}

func (k *frameKeeper) Frame(f *screen.Frame) {
	var c screen.Frame
	c.Resize(f.Width, f.Height)
	for y := range f.Height {
		copy(c.Pix[y*c.Stride:][:c.Stride], f.Pix[y*f.Stride:])
	}
	k.mu.Lock()
	k.frames = append(k.frames, c)
	k.mu.Unlock()
	k.countingConsumer.Frame(f)
}

func (k *frameKeeper) got() []screen.Frame {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]screen.Frame(nil), k.frames...)
}

// shows says why f is not the desktop's rectangle r in layout, to the
// pixel; "" when it is.
func shows(f screen.Frame, r image.Rectangle, layout byte) string {
	if f.Width != r.Dx() || f.Height != r.Dy() {
		return fmt.Sprintf("a %dx%d frame, want %dx%d", f.Width, f.Height, r.Dx(), r.Dy())
	}
	for y := range f.Height {
		for x := range f.Width {
			i := y*f.Stride + x*screen.BytesPerPixel
			if got, want := [3]byte{f.Pix[i+2], f.Pix[i+1], f.Pix[i]}, [3]byte{layout, byte(r.Min.Y + y), byte(r.Min.X + x)}; got != want {
				return fmt.Sprintf("pixel %d,%d is (layout, y, x) %v, want %v", x, y, got, want)
			}
		}
	}
	return ""
}

// checkFrames fails t for each of frames[from:] that does not show r.
func checkFrames(t *testing.T, who string, frames []screen.Frame, from int, r image.Rectangle, layout byte) {
	t.Helper()
	for i := from; i < len(frames); i++ {
		if why := shows(frames[i], r, layout); why != "" {
			t.Errorf("%s frame %d: %s", who, i, why)
		}
	}
}

type feedsRig struct {
	t     *testing.T
	clock *clockwork.FakeClock
	d     *twoMonitors
	feeds *Feeds
	ticks chan struct{}
}

func newFeedsRig(t *testing.T) *feedsRig {
	r := &feedsRig{t: t, clock: clockwork.NewFakeClockAt(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)), d: leftAndPrimary(), ticks: make(chan struct{}, 100)}
	r.feeds = newFeeds(r.d.openCapture, r.clock, func() { r.ticks <- struct{}{} })
	t.Cleanup(r.feeds.Close)
	return r
}

// tick moves n periods of 2 fps.
func (r *feedsRig) tick(n int) {
	r.t.Helper()
	advance(r.t, r.clock, r.feeds.For(ScreensAll), r.ticks, 500*time.Millisecond, n)
}

// TestFeedsOneCaptureForPrimaryAndAll: a recording of the primary screen
// alone grabs only that monitor; a monitoring of all of them joining it
// makes the one capture grab them all, once a tick for both, and the
// recording gets the primary's rectangle cropped out of it to the
// pixel; helper.status's stats show one open capture. A pause holds it
// for both (PCI); when the monitoring leaves, the capture grabs the
// primary alone again.
func TestFeedsOneCaptureForPrimaryAndAll(t *testing.T) {
	r := newFeedsRig(t)
	prim, all := rectOf(r.d.screens[1]), image.Rect(0, 0, 64, 32)
	rec, mon := &frameKeeper{}, &frameKeeper{}
	mustSubscribe(t, r.feeds.For(ScreensPrimary), rec, 2)
	r.tick(2)
	if grabs, _, opens := r.d.counts(); grabs != 2 || opens[ScreensPrimary] != 1 || opens[ScreensAll] != 0 {
		t.Fatalf("recording the primary alone: %d grabs, opens %v; want 2 grabs of one capture of the primary", grabs, opens)
	}
	checkFrames(t, "recording, primary alone", rec.got(), 0, prim, 0)

	mustSubscribe(t, r.feeds.For(ScreensAll), mon, 2)
	r.tick(4)
	grabs, maxOpen, opens := r.d.counts()
	if grabs != 6 || maxOpen != 1 || opens[ScreensAll] != 1 {
		t.Errorf("recording the primary and monitoring all for 4 ticks: %d grabs in all, at most %d captures open at once, opens %v; want 6 (one a tick), 1, all opened once", grabs, maxOpen, opens)
	}
	recFrames, monFrames := rec.got(), mon.got()
	if len(recFrames) != 6 || len(monFrames) != 4 {
		t.Fatalf("recording %d, monitoring %d frames; want 6 and 4", len(recFrames), len(monFrames))
	}
	checkFrames(t, "recording, cropped", recFrames, 2, prim, 0)
	checkFrames(t, "monitoring", monFrames, 0, all, 0)
	for i := 2; i < 6; i++ {
		if !recFrames[i].Time.Equal(monFrames[i-2].Time) {
			t.Errorf("frame %d: the recording's at %v, the monitoring's at %v: want one grab for both", i, recFrames[i].Time, monFrames[i-2].Time)
		}
	}
	st := r.feeds.Stats()
	open := 0
	for _, s := range st {
		if s.Consumers > 0 {
			open++
		}
	}
	if a := st[ScreensAll]; open != 1 || a.Consumers != 2 || a.Cropped != 1 || a.Opens != 1 || a.Grabs != 4 || st[ScreensPrimary].Grabs != 2 {
		t.Errorf("stats %+v: want one open capture, of all, with 2 consumers, 1 cropped to the primary, opened once with 4 grabs; 2 grabs of the primary before", st)
	}

	r.feeds.For(ScreensPrimary).Hold(rec)
	r.tick(3)
	if g, _, _ := r.d.counts(); g != grabs {
		t.Errorf("held by the recording of the primary: %d grabs, want none", g-grabs)
	}
	if _, pauses := mon.countingConsumer.got(); len(pauses) != 1 || !pauses[0] {
		t.Errorf("the monitoring heard %v, want the pause", pauses)
	}
	r.feeds.For(ScreensPrimary).Release(rec)
	r.feeds.For(ScreensAll).Unsubscribe(mon)
	r.tick(2)
	grabs2, maxOpen, opens := r.d.counts()
	if grabs2-grabs != 2 || opens[ScreensPrimary] != 2 || opens[ScreensAll] != 1 || maxOpen != 1 {
		t.Errorf("the monitoring left: %d grabs in 2 ticks, opens %v, at most %d open; want 2, the primary opened again, 1", grabs2-grabs, opens, maxOpen)
	}
	checkFrames(t, "recording, primary alone again", rec.got(), 6, prim, 0)
	if st := r.feeds.Stats(); st[ScreensPrimary].Consumers != 1 || st[ScreensAll].Consumers != 0 {
		t.Errorf("stats %+v: want the one open capture of the primary", st)
	}
}

// TestFeedsCropFollowsTheMonitors: the monitors change under a capture
// of all of them that serves a recording of the primary too (the two
// swap places in the same bounding box): the stale check opens it
// again, and the recording's crop is the new primary's rectangle.
func TestFeedsCropFollowsTheMonitors(t *testing.T) {
	r := newFeedsRig(t)
	rec, mon := &frameKeeper{}, &frameKeeper{}
	mustSubscribe(t, r.feeds.For(ScreensAll), mon, 2)
	mustSubscribe(t, r.feeds.For(ScreensPrimary), rec, 2)
	r.tick(2)
	checkFrames(t, "recording", rec.got(), 0, rectOf(r.d.screens[1]), 0)
	swapped := []capture.Screen{
		{Index: 0, Name: "PRIM", Primary: true, X: 0, Y: 0, Width: 24, Height: 32},
		{Index: 1, Name: "LEFT", X: 24, Y: 8, Width: 40, Height: 24},
	}
	r.d.change(swapped)
	r.tick(3) // a stale check comes within a second
	frames := rec.got()
	if grabs, _, opens := r.d.counts(); grabs != 5 || opens[ScreensAll] != 2 || opens[ScreensPrimary] != 0 {
		t.Errorf("%d grabs, opens %v; want 5 grabs of one capture of all, opened again once", grabs, opens)
	}
	if len(frames) != 5 {
		t.Fatalf("%d frames, want 5", len(frames))
	}
	checkFrames(t, "recording after the change", frames, 4, rectOf(swapped[0]), 1)
}

// TestFeedsCropWithoutLayoutFails: a capture of all the monitors that
// cannot tell where the primary one is gives its consumers a failed
// grab, never the whole desktop.
func TestFeedsCropWithoutLayoutFails(t *testing.T) {
	clock := clockwork.NewFakeClock()
	scr := &fakeScreen{width: 8, height: 8, clock: clock}
	ticks := make(chan struct{}, 10)
	feeds := newFeeds(func(string) (Grabber, error) { return scr, nil }, clock, func() { ticks <- struct{}{} })
	t.Cleanup(feeds.Close)
	mon, rec := &frameKeeper{}, &failCounter{}
	mustSubscribe(t, feeds.For(ScreensAll), mon, 2)
	mustSubscribe(t, feeds.For(ScreensPrimary), rec, 2)
	advance(t, clock, feeds.For(ScreensAll), ticks, 500*time.Millisecond, 2)
	if len(mon.got()) != 2 || rec.frames != 0 || rec.failures != 2 {
		t.Errorf("monitoring %d frames; the primary's consumer %d frames, %d failures; want 2, 0, 2", len(mon.got()), rec.frames, rec.failures)
	}
}

type failCounter struct {
	mu               sync.Mutex
	frames, failures int
}

func (c *failCounter) Frame(*screen.Frame) { c.mu.Lock(); c.frames++; c.mu.Unlock() }
func (c *failCounter) GrabFailed(error)    { c.mu.Lock(); c.failures++; c.mu.Unlock() }

// framePointer keeps the frame it was handed last.
type framePointer struct{ last *screen.Frame }

func (p *framePointer) Frame(f *screen.Frame) { p.last = f }
func (p *framePointer) GrabFailed(error)      {}

// TestFeedsOneMonitorNoCopy: with one monitor the primary is the whole
// capture of all: its consumer gets the very frame, no copy.
func TestFeedsOneMonitorNoCopy(t *testing.T) {
	r := newFeedsRig(t)
	r.d.screens = r.d.screens[1:]
	rec, mon := &framePointer{}, &framePointer{}
	mustSubscribe(t, r.feeds.For(ScreensAll), mon, 2)
	mustSubscribe(t, r.feeds.For(ScreensPrimary), rec, 2)
	r.tick(1)
	if rec.last == nil || rec.last != mon.last || shows(*rec.last, rectOf(r.d.screens[0]), 0) != "" {
		t.Errorf("the primary's consumer got %p, the monitoring %p: want the one frame of the one monitor", rec.last, mon.last)
	}
}
