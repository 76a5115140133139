package live

import (
	"context"
	"fmt"
	"sync"

	"github.com/openbpclient/bpclient/screen"
)

// Feed is the agent's one capture of the screen, shared with recording
// (screen/record's Feed is one): the stream subscribes at its own rate
// and gets the frames that rate needs.
type Feed interface {
	Subscribe(c screen.Consumer, fps int) error
	Unsubscribe(c screen.Consumer)
}

// PauseTeller is a Source that tells when it stops sending because the
// screen is private (a recording paused: PCI) and when it sends again;
// the monitoring service tells the page.
type PauseTeller interface {
	StreamWithPauses(ctx context.Context, p StreamParams, keyframe <-chan struct{}, send func(frame []byte, key bool) error, paused func(bool)) error
}

// maxGrabFailures in a row end a stream.
const maxGrabFailures = 5

// FeedSource is a Source over a Feed: one capture serves the recording
// and the monitoring, while each keeps its own encoder (their sizes and
// bitrates differ). The feed's goroutine only copies a frame into the
// stream's mailbox; the stream encodes in its own goroutine, so a slow
// encode costs the recording nothing, and a frame the stream had no time
// for is replaced by the newer one.
type FeedSource struct {
	Feed Feed
	// NewEncoder makes an encoder of width×height pictures at fps.
	NewEncoder func(width, height, fps int) (Encoder, error)
	// OutputSize is the size a width×height screen is sent at for at
	// most maxWidth pixels across.
	OutputSize func(width, height, maxWidth int) (w, h int)
	// CheckScreen says whether the screen can be captured (Check); nil:
	// it is not asked.
	CheckScreen func() error
}

// Check implements Checker.
func (s *FeedSource) Check() error {
	if s.CheckScreen == nil {
		return nil
	}
	return s.CheckScreen()
}

// Stream implements Source.
func (s *FeedSource) Stream(ctx context.Context, p StreamParams, keyframe <-chan struct{}, send func([]byte, bool) error) error {
	return s.StreamWithPauses(ctx, p, keyframe, send, nil)
}

// StreamWithPauses implements PauseTeller: while the feed is held it
// sends nothing (the viewer keeps the last picture from before the
// pause), paused hears true; on the release paused hears false and the
// next frame is a keyframe.
func (s *FeedSource) StreamWithPauses(ctx context.Context, p StreamParams, keyframe <-chan struct{}, send func([]byte, bool) error, paused func(bool)) error {
	tap := &feedTap{wake: make(chan struct{}, 1)}
	if err := s.Feed.Subscribe(tap, p.FPS); err != nil {
		return fmt.Errorf("subscribe to the screen: %w", err)
	}
	defer s.Feed.Unsubscribe(tap)
	st := &encodeState{newEncoder: s.NewEncoder, outputSize: s.OutputSize, p: p}
	defer st.close()
	var work screen.Frame
	force := true
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-keyframe:
			force = true // with the next frame, at the stream's rate
			continue
		case <-tap.wake:
		}
		news := tap.take(&work)
		for _, pz := range news.pauses {
			if !pz {
				force = true // the viewer's picture starts again whole
			}
			if paused != nil {
				paused(pz)
			}
		}
		if news.failures >= maxGrabFailures {
			return fmt.Errorf("grab the screen: %d failures in a row, the last: %w", news.failures, news.grabErr)
		}
		if !news.frame {
			continue
		}
		if err := st.encodeAndSend(&work, force, send); err != nil {
			return err
		}
		force = false
	}
}

// feedTap is a stream's mailbox on the feed: the newest frame, the grab
// failures in a row, and the pauses not yet handled.
type feedTap struct {
	wake chan struct{} // a value: something to take

	mu       sync.Mutex
	pending  screen.Frame
	has      bool
	failures int
	grabErr  error
	pauses   []bool
}

// tapNews is what take found.
type tapNews struct {
	frame    bool
	failures int
	grabErr  error
	pauses   []bool
}

// Frame implements screen.Consumer: a copy, in the feed's goroutine.
func (t *feedTap) Frame(f *screen.Frame) {
	t.mu.Lock()
	t.pending.Resize(f.Width, f.Height)
	rowBytes := f.Width * screen.BytesPerPixel
	for y := 0; y < f.Height; y++ {
		copy(t.pending.Pix[y*t.pending.Stride:][:rowBytes], f.Pix[y*f.Stride:][:rowBytes])
	}
	t.pending.Time = f.Time
	t.has, t.failures = true, 0
	t.mu.Unlock()
	t.poke()
}

// GrabFailed implements screen.Consumer.
func (t *feedTap) GrabFailed(err error) {
	t.mu.Lock()
	t.failures++
	t.grabErr = err
	t.mu.Unlock()
	t.poke()
}

// FrameAtOnce implements screen.Eager: the viewer's first picture comes
// when the stream starts, not a period later.
func (t *feedTap) FrameAtOnce() bool { return true }

// CapturePaused implements screen.PauseListener. A frame grabbed before
// the pause and not yet sent is dropped: nothing goes out once paused.
func (t *feedTap) CapturePaused(paused bool) {
	t.mu.Lock()
	t.pauses = append(t.pauses, paused)
	t.has = false
	t.mu.Unlock()
	t.poke()
}

func (t *feedTap) poke() {
	select {
	case t.wake <- struct{}{}:
	default: // the stream has been woken already
	}
}

// take swaps the pending frame into work (when there is one) and
// returns the news.
func (t *feedTap) take(work *screen.Frame) tapNews {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := tapNews{frame: t.has, failures: t.failures, grabErr: t.grabErr, pauses: t.pauses}
	t.pauses = nil
	if t.has {
		*work, t.pending = t.pending, *work
		t.has = false
	}
	return n
}
