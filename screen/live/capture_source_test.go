package live

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/screen"
)

// fakeScreen grabs pictures of the size its sizes give, in turn.
type fakeScreen struct {
	sizes  [][2]int
	grabs  int
	closed bool
	fail   error
}

func (s *fakeScreen) Grab(f *screen.Frame) error {
	if s.fail != nil && s.grabs >= 2 {
		return s.fail
	}
	sz := s.sizes[min(s.grabs, len(s.sizes)-1)]
	s.grabs++
	f.Resize(sz[0], sz[1])
	return nil
}

func (s *fakeScreen) Close() error { s.closed = true; return nil }

type fakeEncoder struct {
	w, h   int
	log    *[]string
	closed bool
}

func (e *fakeEncoder) Encode(f *screen.Frame, force bool) ([]byte, bool, error) {
	*e.log = append(*e.log, fmt.Sprintf("%dx%d->%dx%d key=%v", f.Width, f.Height, e.w, e.h, force))
	return []byte{1}, force, nil
}

func (e *fakeEncoder) Close() { e.closed = true }

func newFakeSource(scr *fakeScreen, log *[]string, tick chan time.Time) *CaptureSource {
	return &CaptureSource{
		OpenCapture: func() (Grabber, error) { return scr, nil },
		NewEncoder: func(w, h, fps int) (Encoder, error) {
			*log = append(*log, fmt.Sprintf("new %dx%d@%d", w, h, fps))
			return &fakeEncoder{w: w, h: h, log: log}, nil
		},
		OutputSize: func(w, h, maxW int) (int, int) {
			if w <= maxW {
				return w, h
			}
			return maxW, h * maxW / w
		},
		NewTicker: func(time.Duration) (<-chan time.Time, func()) { return tick, func() {} },
	}
}

// TestCaptureSourceKeyframes: the first frame is a keyframe, a request
// makes the next one a keyframe, a change of the screen's size makes a
// new encoder (and a keyframe), and the picture is scaled to maxWidth.
func TestCaptureSourceKeyframes(t *testing.T) {
	scr := &fakeScreen{sizes: [][2]int{{3840, 1080}, {3840, 1080}, {3840, 1080}, {1920, 1080}}}
	var log []string
	tick := make(chan time.Time)
	src := newFakeSource(scr, &log, tick)
	keyframe := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	sent := 0
	done := make(chan error, 1)
	go func() {
		done <- src.Stream(ctx, StreamParams{FPS: 2, MaxWidth: 1920}, keyframe, func([]byte, bool) error {
			sent++
			if sent == 4 {
				cancel()
			}
			return nil
		})
	}()
	tick <- time.Time{}    // frame 2: an inter frame
	keyframe <- struct{}{} // frame 3: a keyframe, at the next tick
	tick <- time.Time{}
	tick <- time.Time{} // frame 4: the screen shrank
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream: %v", err)
	}
	want := []string{"new 1920x540@2", "3840x1080->1920x540 key=true", "3840x1080->1920x540 key=false", "3840x1080->1920x540 key=true",
		"new 1920x1080@2", "1920x1080->1920x1080 key=true"}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Fatalf("encoder saw\n%v\nwant\n%v", log, want)
	}
	if !scr.closed {
		t.Error("the capture was left open")
	}
}

// TestCaptureSourceGrabFails: a failed grab ends the stream with why.
func TestCaptureSourceGrabFails(t *testing.T) {
	scr := &fakeScreen{sizes: [][2]int{{640, 360}}, fail: errors.New("display gone")}
	var log []string
	tick := make(chan time.Time, 3)
	for range 3 {
		tick <- time.Time{}
	}
	err := newFakeSource(scr, &log, tick).Stream(context.Background(), StreamParams{FPS: 1, MaxWidth: 1920}, nil, func([]byte, bool) error { return nil })
	if err == nil || !errors.Is(err, scr.fail) {
		t.Fatalf("Stream: %v, want the grab's error", err)
	}
	if !scr.closed {
		t.Error("the capture was left open")
	}
}
