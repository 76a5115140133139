package record

import (
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/capture"
	"github.com/openbpclient/bpclient/screen/internal/pattern"
)

// lastFrame keeps a copy of the newest frame and counts them.
type lastFrame struct {
	mu     sync.Mutex
	f      screen.Frame
	frames int
}

func (l *lastFrame) Frame(f *screen.Frame) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.f.Resize(f.Width, f.Height)
	for y := range f.Height {
		copy(l.f.Pix[y*l.f.Stride:][:l.f.Stride], f.Pix[y*f.Stride:])
	}
	l.frames++
}
func (l *lastFrame) GrabFailed(error) {}

// rgbAt is the pixel at x, y of the newest frame as 0xRRGGBB.
func (l *lastFrame) rgbAt(x, y int) uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, g, b := l.f.At(x, y)
	return uint32(r)<<16 | uint32(g)<<8 | uint32(b)
}

func (l *lastFrame) size() (w, h, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Width, l.f.Height, l.frames
}

// TestFeedsOneX11CaptureForPrimaryAndAll: on Xvfb with two RandR
// monitors (the primary 720×600 at 1200,200 beside a 1200×1080 one), a
// recording of the primary alone opens one capture of that monitor; a
// monitoring of all of them joining it makes that one capture of the
// whole desktop, grabbed once a tick for both, and the recording's
// frames are the primary's rectangle of it: its top band and the bars
// under it where they are on the screen.
func TestFeedsOneX11CaptureForPrimaryAndAll(t *testing.T) {
	p := desktoptest.StartPainted(t, 1920, 1080)
	if p == nil {
		return
	}
	p.SetMonitor("LEFT", false, 0, 0, 1200, 1080)
	p.SetMonitor("RIGHT", true, 1200, 200, 720, 600)
	var boxes []desktoptest.Box
	for i, c := range pattern.Bars {
		boxes = append(boxes, desktoptest.Box{X: 240 * i, W: 240, H: 1080, RGB: c})
	}
	const band = 0x123456 // the primary's top 40 rows
	p.Fill(append(boxes, desktoptest.Box{X: 1200, Y: 200, W: 720, H: 40, RGB: band})...)

	clock := clockwork.NewFakeClock()
	ticks := make(chan struct{}, 10)
	feeds := newFeeds(func(screens string) (Grabber, error) {
		return capture.Open(capture.Options{Screens: screens, Display: p.Display})
	}, clock, func() { ticks <- struct{}{} })
	t.Cleanup(feeds.Close)
	tick := func(n int) {
		t.Helper()
		advance(t, clock, feeds.For(ScreensAll), ticks, 500*time.Millisecond, n)
	}
	// The primary's picture: the band on top, then bars 5 to 7 (desktop
	// x 1200 to 1919) below it.
	checkPrimary := func(what string, f *lastFrame) {
		t.Helper()
		if w, h, _ := f.size(); w != 720 || h != 600 {
			t.Fatalf("%s: a %dx%d frame, want the primary's 720x600", what, w, h)
		}
		for _, pt := range [][2]int{{5, 5}, {700, 30}} {
			if got := f.rgbAt(pt[0], pt[1]); got != band {
				t.Errorf("%s: pixel %v is %06x, want the primary's top band %06x", what, pt, got, band)
			}
		}
		for _, x := range []int{10, 230, 250, 470, 490, 710} {
			if got, want := f.rgbAt(x, 300), pattern.Bars[(1200+x)/240]; got != want {
				t.Errorf("%s: pixel %d,300 is %06x, want bar %d's %06x", what, x, got, (1200+x)/240, want)
			}
		}
	}

	rec, mon := &lastFrame{}, &lastFrame{}
	mustSubscribe(t, feeds.For(ScreensPrimary), rec, 2)
	tick(2)
	checkPrimary("the primary alone", rec)
	mustSubscribe(t, feeds.For(ScreensAll), mon, 2)
	before := feeds.Stats()
	tick(4)
	st := feeds.Stats()
	a := st[ScreensAll]
	if len(st) != 2 || a.Opens != 1 || a.Grabs != 4 || a.Consumers != 2 || a.Cropped != 1 || st[ScreensPrimary].Consumers != 0 || st[ScreensPrimary].Grabs != before[ScreensPrimary].Grabs {
		t.Errorf("stats %+v: want one capture of all open, grabbed once a tick (4) for both consumers, the primary cropped out of it for 1, and the capture of the primary alone closed", st)
	}
	checkPrimary("cropped out of all", rec)
	if w, h, n := mon.size(); w != 1920 || h != 1080 || n != 4 {
		t.Fatalf("monitoring: %d frames, the last %dx%d; want 4 of 1920x1080", n, w, h)
	}
	for i, c := range pattern.Bars {
		if got := mon.rgbAt(240*i+120, 100); got != c {
			t.Errorf("monitoring: bar %d is %06x, want %06x", i, got, c)
		}
	}
}
