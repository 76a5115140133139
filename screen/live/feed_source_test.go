package live

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/screen"
)

// fakeFeed hands the test the consumer a stream subscribed.
type fakeFeed struct {
	subscribed chan screen.Consumer
	mu         sync.Mutex
	fps        int
	left       bool
}

func (f *fakeFeed) Subscribe(c screen.Consumer, fps int) error {
	f.mu.Lock()
	f.fps = fps
	f.mu.Unlock()
	f.subscribed <- c
	return nil
}

func (f *fakeFeed) Unsubscribe(screen.Consumer) { f.mu.Lock(); f.left = true; f.mu.Unlock() }

// TestFeedSourcePausesAndResumesWithAKeyframe: the stream subscribes at
// its own rate, encodes a copy of each frame with its own encoder, sends
// nothing while the feed is held, tells the pause and the resume, and
// the first frame after the resume is a keyframe.
func TestFeedSourcePausesAndResumesWithAKeyframe(t *testing.T) {
	feed := &fakeFeed{subscribed: make(chan screen.Consumer, 1)}
	var log []string
	src := &FeedSource{Feed: feed,
		NewEncoder: func(w, h, fps int) (Encoder, error) {
			log = append(log, fmt.Sprintf("new %dx%d@%d", w, h, fps))
			return &fakeEncoder{w: w, h: h, log: &log}, nil
		},
		OutputSize: func(w, h, maxW int) (int, int) { return w, h }}
	sent := make(chan bool, 16)
	pauses := make(chan bool, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- src.StreamWithPauses(ctx, StreamParams{FPS: 5, MaxWidth: 1920}, nil, func(_ []byte, key bool) error { sent <- key; return nil },
			func(p bool) { pauses <- p })
	}()
	c := <-feed.subscribed
	frame := func(w int) {
		var f screen.Frame
		f.Resize(w, 8)
		f.Stride += 16 // the feed's frame may have a wider stride than the copy
		f.Pix = make([]byte, f.Stride*f.Height)
		c.Frame(&f)
	}
	wantSent := func(what string, key bool) {
		t.Helper()
		select {
		case k := <-sent:
			if k != key {
				t.Errorf("%s: key %v, want %v", what, k, key)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: nothing sent", what)
		}
	}
	frame(16)
	wantSent("first", true)
	frame(16)
	wantSent("second", false)
	l := c.(screen.PauseListener)
	l.CapturePaused(true)
	if p := <-pauses; !p {
		t.Fatal("the pause was told as a resume")
	}
	select {
	case <-sent:
		t.Fatal("a frame was sent while paused")
	case <-time.After(100 * time.Millisecond):
	}
	l.CapturePaused(false)
	if p := <-pauses; p {
		t.Fatal("the resume was told as a pause")
	}
	frame(16)
	wantSent("after the resume", true)
	for range maxGrabFailures {
		c.GrabFailed(fmt.Errorf("display gone"))
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("the stream ended without an error after the grabs failed")
		}
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("grab failures did not end the stream")
	}
	cancel()
	feed.mu.Lock()
	defer feed.mu.Unlock()
	if feed.fps != 5 || !feed.left {
		t.Errorf("subscribed at %d fps, left %v; want 5, true", feed.fps, feed.left)
	}
	if log[0] != "new 16x8@5" {
		t.Errorf("encoder log %v", log)
	}
}
