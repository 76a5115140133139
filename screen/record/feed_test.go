package record

import (
	"sync"
	"testing"

	"github.com/openbpclient/bpclient/screen"
)

type countingConsumer struct {
	mu     sync.Mutex
	frames int
}

func (c *countingConsumer) Frame(*screen.Frame) { c.mu.Lock(); c.frames++; c.mu.Unlock() }
func (c *countingConsumer) GrabFailed(error)    {}
func (c *countingConsumer) count() int          { c.mu.Lock(); defer c.mu.Unlock(); return c.frames }

// TestFeedFansOutOneCapture: two consumers (a recording and a monitor)
// share each grab; with none subscribed nothing is grabbed.
func TestFeedFansOutOneCapture(t *testing.T) {
	r := newRig(t, Config{RecordingID: "x"}, 32, 32, false)
	a, b := &countingConsumer{}, &countingConsumer{}
	r.tick(3)
	if n := r.screen.grabCount(); n != 0 {
		t.Fatalf("%d grabs with nobody subscribed", n)
	}
	r.feed.Subscribe(a)
	r.feed.Subscribe(b)
	r.tick(4)
	r.feed.Unsubscribe(a)
	r.tick(2)
	if a.count() != 4 || b.count() != 6 || r.screen.grabCount() != 6 {
		t.Errorf("a %d, b %d frames from %d grabs; want 4, 6 from 6", a.count(), b.count(), r.screen.grabCount())
	}
	r.feed.Unsubscribe(b)
	r.tick(2)
	if r.screen.grabCount() != 6 {
		t.Error("grabbing with nobody subscribed")
	}
}
