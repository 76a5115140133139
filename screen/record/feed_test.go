package record

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/screen"
)

// countingConsumer keeps the time of each frame it got and the pauses it
// heard.
type countingConsumer struct {
	mu     sync.Mutex
	times  []time.Time
	pauses []bool
}

func (c *countingConsumer) Frame(f *screen.Frame) {
	c.mu.Lock()
	c.times = append(c.times, f.Time)
	c.mu.Unlock()
}
func (c *countingConsumer) GrabFailed(error) {}
func (c *countingConsumer) CapturePaused(p bool) {
	c.mu.Lock()
	c.pauses = append(c.pauses, p)
	c.mu.Unlock()
}
func (c *countingConsumer) count() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.times) }

func (c *countingConsumer) got() ([]time.Time, []bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.times...), append([]bool(nil), c.pauses...)
}

// TestFeedFansOutOneCapture: two consumers (a recording and a monitor)
// at one rate share each grab, one grab a tick; with none subscribed the
// capture is closed and nothing is grabbed; the next consumer opens it
// again.
func TestFeedFansOutOneCapture(t *testing.T) {
	r := newRig(t, Config{RecordingID: "x"}, 32, 32, false)
	a, b := &countingConsumer{}, &countingConsumer{}
	r.tick(3)
	if n, opens := r.screen.grabCount(), r.screen.opens.Load(); n != 0 || opens != 0 {
		t.Fatalf("%d grabs, %d opens with nobody subscribed", n, opens)
	}
	mustSubscribe(t, r.feed, a, 2)
	mustSubscribe(t, r.feed, b, 2)
	r.tick(4)
	r.feed.Unsubscribe(a)
	r.tick(2)
	if a.count() != 4 || b.count() != 6 || r.screen.grabCount() != 6 {
		t.Errorf("a %d, b %d frames from %d grabs; want 4, 6 from 6", a.count(), b.count(), r.screen.grabCount())
	}
	r.feed.Unsubscribe(b)
	r.screen.mu.Lock()
	closed := r.screen.closed
	r.screen.mu.Unlock()
	if !closed || r.feed.running() {
		t.Error("the last consumer left and the capture is still open")
	}
	r.tick(2)
	if r.screen.grabCount() != 6 {
		t.Error("grabbing with nobody subscribed")
	}
	mustSubscribe(t, r.feed, a, 2)
	r.tick(1)
	if st := r.feed.Stats(); st.Opens != 2 || st.Grabs != 7 || r.screen.opens.Load() != 2 || a.count() != 5 {
		t.Errorf("after subscribing again: %+v, %d opens, a has %d frames; want 2 opens, 7 grabs, 5 frames", st, r.screen.opens.Load(), a.count())
	}
}

// TestFeedSlowerConsumerTakesEveryNthFrame: a monitor at 10 fps and a
// recording at 2 fps on one feed: it grabs 10 times a second, once a
// tick, and the recording gets every fifth of those frames, evenly
// spaced; when the fast consumer leaves the feed slows to 2 fps.
func TestFeedSlowerConsumerTakesEveryNthFrame(t *testing.T) {
	r := newRig(t, Config{RecordingID: "x", FPS: 10}, 32, 32, false)
	fast, slow := &countingConsumer{}, &countingConsumer{}
	mustSubscribe(t, r.feed, slow, 2)
	mustSubscribe(t, r.feed, fast, 10)
	if st := r.feed.Stats(); st.FPS != 10 {
		t.Fatalf("feed at %d fps, want the highest asked, 10", st.FPS)
	}
	r.tick(20)
	if g := r.screen.grabCount(); g != 20 {
		t.Errorf("%d grabs in 20 ticks, want 20", g)
	}
	fastTimes, _ := fast.got()
	slowTimes, _ := slow.got()
	if len(fastTimes) != 20 || len(slowTimes) != 4 {
		t.Fatalf("fast %d, slow %d frames in 2 s; want 20 and 4", len(fastTimes), len(slowTimes))
	}
	for i, at := range slowTimes {
		if want := fastTimes[5*i+4]; !at.Equal(want) {
			t.Errorf("slow frame %d at %v, want the fast one's 5th after (%v)", i, at, want)
		}
		if i > 0 && at.Sub(slowTimes[i-1]) != 500*time.Millisecond {
			t.Errorf("slow frames %d and %d %v apart, want 500ms", i-1, i, at.Sub(slowTimes[i-1]))
		}
	}
	r.feed.Unsubscribe(fast)
	if st := r.feed.Stats(); st.FPS != 2 || st.Consumers != 1 {
		t.Errorf("after the fast consumer left: %+v, want 2 fps, 1 consumer", st)
	}
	before := r.screen.grabCount()
	r.period = 500 * time.Millisecond
	r.tick(2)
	if g := r.screen.grabCount() - before; g != 2 || slow.count() != 6 {
		t.Errorf("at 2 fps: %d grabs in two ticks, slow has %d frames; want 2, 6", g, slow.count())
	}
}

// TestFeedHoldGrabsNothingForAnybody (PCI): a recording's pause holds
// the feed; a monitor still subscribed gets no frame and hears the
// pause, and its release.
func TestFeedHoldGrabsNothingForAnybody(t *testing.T) {
	r := newRig(t, Config{RecordingID: "x"}, 32, 32, false)
	mon := &countingConsumer{}
	mustSubscribe(t, r.feed, mon, 2)
	r.tick(2)
	r.feed.Hold("recording")
	before := r.screen.grabCount()
	r.tick(5)
	if n := r.screen.grabCount() - before; n != 0 || mon.count() != 2 {
		t.Errorf("held: %d grabs, the monitor has %d frames; want 0, 2", n, mon.count())
	}
	late := &countingConsumer{}
	mustSubscribe(t, r.feed, late, 2)
	r.feed.Release("recording")
	r.tick(1)
	_, pauses := mon.got()
	_, latePauses := late.got()
	if len(pauses) != 2 || !pauses[0] || pauses[1] || len(latePauses) != 2 || !latePauses[0] || mon.count() != 3 {
		t.Errorf("the monitor heard %v and has %d frames, one subscribed while held heard %v; want [true false], 3, [true false]", pauses, mon.count(), latePauses)
	}
}

// staleScreen is a fakeScreen whose screens change when the test says.
type staleScreen struct {
	*fakeScreen
	stale *atomic.Bool
}

func (s staleScreen) Stale() bool { return s.stale.Load() }

// TestFeedReopensWhenTheScreensChange: a grabber that says its screens
// changed is closed and opened again, and the consumers get the new
// size without a gap.
func TestFeedReopensWhenTheScreensChange(t *testing.T) {
	r := newRig(t, Config{RecordingID: "x"}, 32, 32, false)
	var stale atomic.Bool
	opens := 0
	f := newFeed(func() (Grabber, error) {
		opens++
		stale.Store(false)
		return staleScreen{r.screen, &stale}, nil
	}, r.clock, func() { r.ticks <- struct{}{} })
	r.feed = f
	t.Cleanup(func() { f.Close() })
	c := &sizeConsumer{}
	mustSubscribe(t, f, c, 2)
	r.tick(3)
	r.screen.mu.Lock()
	r.screen.width = 48
	r.screen.mu.Unlock()
	stale.Store(true)
	r.tick(3)
	if opens != 2 || f.Stats().Opens != 2 {
		t.Errorf("opened %d times (stats %+v), want 2", opens, f.Stats())
	}
	if len(c.widths) != 6 || c.widths[0] != 32 || c.widths[5] != 48 {
		t.Errorf("frame widths %v, want 6 frames, 32 then 48", c.widths)
	}
}

type sizeConsumer struct{ widths []int }

func (c *sizeConsumer) Frame(f *screen.Frame) { c.widths = append(c.widths, f.Width) }
func (c *sizeConsumer) GrabFailed(error)      {}

func mustSubscribe(t *testing.T, f *Feed, c Consumer, fps int) {
	t.Helper()
	if err := f.Subscribe(c, fps); err != nil {
		t.Fatal(err)
	}
}

// eagerConsumer wants its first frame at once (a viewer).
type eagerConsumer struct{ countingConsumer }

func (*eagerConsumer) FrameAtOnce() bool { return true }

// TestFeedEagerConsumerGetsAFrameAtOnce: a monitoring joining a
// recording's feed gets a frame when it subscribes, the recording none
// extra, and then each its own rate.
func TestFeedEagerConsumerGetsAFrameAtOnce(t *testing.T) {
	r := newRig(t, Config{RecordingID: "x"}, 32, 32, false)
	rec, mon := &countingConsumer{}, &eagerConsumer{}
	mustSubscribe(t, r.feed, rec, 2)
	r.tick(1)
	mustSubscribe(t, r.feed, mon, 2)
	deadline := time.Now().Add(5 * time.Second)
	for mon.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if mon.count() != 1 || rec.count() != 1 || r.screen.grabCount() != 2 {
		t.Fatalf("after subscribing: monitor %d, recording %d frames, %d grabs; want 1, 1, 2", mon.count(), rec.count(), r.screen.grabCount())
	}
	r.tick(2)
	if mon.count() != 3 || rec.count() != 3 || r.screen.grabCount() != 4 {
		t.Errorf("two ticks on: monitor %d, recording %d frames, %d grabs; want 3, 3, 4", mon.count(), rec.count(), r.screen.grabCount())
	}
}
