package audio

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// A sound system that never finishes starting must not keep the caller
// waiting: it gets an error that says so, in bounded time, and a start
// that finishes after all has what it started released.
func TestStartThatHangsIsGivenUp(t *testing.T) {
	release := make(chan struct{})
	released := make(chan *fakeBackend, 1)
	late := newFake()
	hang := func() (*fakeBackend, error) { <-release; return late, nil }
	got, err := startWithin(hang, 50*time.Millisecond, func(be *fakeBackend) { released <- be })
	if got != nil || !errors.Is(err, errStartStuck) || !strings.Contains(err.Error(), "did not finish within 50ms") {
		t.Fatalf("got %v, %v; want nil and the stuck start's error", got, err)
	}
	close(release)
	select {
	case be := <-released:
		if be != late {
			t.Fatalf("released %p, want the late start's %p", be, late)
		}
	case <-time.After(hangGuard):
		t.Fatalf("hang guard (%v): the late start was not released", hangGuard)
	}
}

// A prompt answer, success or failure, is passed on as it is.
func TestOpenWithinPassesOnAPromptAnswer(t *testing.T) {
	refused := errors.New("refused")
	failing := func(*System) error { return refused }
	if sys, err := OpenWithin(time.Minute, failing); sys != nil || !errors.Is(err, refused) {
		t.Fatalf("got %v, %v; want Open's own error", sys, err)
	}
	quick := func() (int, error) { return 7, nil }
	if n, err := startWithin(quick, time.Minute, func(int) { t.Error("a prompt start was released") }); n != 7 || err != nil {
		t.Fatalf("got %d, %v; want 7", n, err)
	}
}
