package audio

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// lazySystem is a System whose backend starts on first use, with a fake
// backend behind it and a count of the starts.
func lazySystem(t *testing.T, load func() (backend, error)) (*System, *lazyBackend) {
	t.Helper()
	l := &lazyBackend{load: load, timeout: 200 * time.Millisecond}
	s := newSystem(l)
	s.lazy = l
	s.stallCheck, s.stallLimit, s.firstIOLimit = 5*time.Millisecond, 60*time.Millisecond, 60*time.Millisecond
	t.Cleanup(func() { s.Close() })
	return s, l
}

func TestLazyStartsOnFirstStream(t *testing.T) {
	var starts atomic.Int32
	fb := newFake()
	s, _ := lazySystem(t, func() (backend, error) { starts.Add(1); return fb, nil })
	// A watcher's list: devices and moves need no backend.
	s.DevicesChanged(fb.list)
	if l, err := s.Devices(); err != nil || len(l.Inputs) != 2 {
		t.Fatalf("devices %+v %v", l, err)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if n := starts.Load(); n != 0 {
		t.Fatalf("started %d times before any stream", n)
	}
	c, err := s.OpenCapture("", f8k20, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	p, err := s.OpenPlayback("headset", f8k20, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if n := starts.Load(); n != 1 {
		t.Fatalf("started %d times, want 1", n)
	}
}

// A machine the watcher found no devices on: opening fails at once and
// the sound libraries stay unloaded.
func TestLazyNothingListed(t *testing.T) {
	var starts atomic.Int32
	s, _ := lazySystem(t, func() (backend, error) { starts.Add(1); return newFake(), nil })
	s.DevicesChanged(DeviceList{Inputs: []Device{}, Outputs: []Device{}})
	if _, err := s.OpenCapture("", f8k20, StreamOptions{}); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("capture: %v, want ErrNoDevice", err)
	}
	if _, err := s.OpenPlayback("", f8k20, StreamOptions{}); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("playback: %v, want ErrNoDevice", err)
	}
	if n := starts.Load(); n != 0 {
		t.Fatalf("started %d times", n)
	}
}

// An open before the watcher's first list waits for it, and then needs
// no start when the list has nothing to open.
func TestLazyWaitsForFirstList(t *testing.T) {
	var starts atomic.Int32
	s, l := lazySystem(t, func() (backend, error) { starts.Add(1); return newFake(), nil })
	l.awaitHint, l.hinted = 5*time.Second, make(chan struct{})
	go func() {
		time.Sleep(50 * time.Millisecond)
		s.DevicesChanged(DeviceList{Inputs: []Device{}, Outputs: []Device{}})
	}()
	if _, err := s.OpenCapture("", f8k20, StreamOptions{}); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("capture: %v, want ErrNoDevice", err)
	}
	if n := starts.Load(); n != 0 {
		t.Fatalf("started %d times", n)
	}
}

// A start that hangs fails the open after the timeout, and later opens
// fail at once instead of waiting again.
func TestLazyStartHangs(t *testing.T) {
	release := make(chan struct{})
	var starts atomic.Int32
	s, _ := lazySystem(t, func() (backend, error) { starts.Add(1); <-release; return newFake(), nil })
	defer close(release)
	// mustFail opens a stream, which must fail; the hang guard only catches an
	// open that waits on the hung start (it times out after 200 ms).
	mustFail := func(what string, open func() error) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- open() }()
		select {
		case err := <-done:
			if err == nil {
				t.Fatalf("%s: opened on a hung start", what)
			}
		case <-time.After(hangGuard):
			t.Fatalf("hang guard (%v): %s waited on the hung start", hangGuard, what)
		}
	}
	mustFail("the first open", func() error { _, err := s.OpenCapture("", f8k20, StreamOptions{}); return err })
	mustFail("a later open", func() error { _, err := s.OpenPlayback("", f8k20, StreamOptions{}); return err })
	// Failing "at once" means without starting the sound system again
	// (and waiting out another timeout for it).
	if n := starts.Load(); n != 1 {
		t.Fatalf("the sound system was started %d times, want 1: a later open tried the hung start again", n)
	}
}
