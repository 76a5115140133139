package audio

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// OpenWithin is Open, given up after timeout. A PortAudio start can hang
// for good inside a sound library (JACK's metadata database in
// /dev/shm/jack_db-<uid> keeps the lock of a client that was killed
// inside it); the caller then runs without audio and can say why, and the
// stuck start, should it ever return, is closed.
func OpenWithin(timeout time.Duration, opts ...Option) (*System, error) {
	return startWithin(func() (*System, error) { return Open(opts...) }, timeout, func(s *System) { s.Close() })
}

// errStartStuck is how a start given up by startWithin fails.
var errStartStuck = errors.New("starting the sound system did not finish")

// startWithin runs start on a goroutine of its own and returns what it
// returns, or, when that takes longer than timeout, an error that says
// the sound system is stuck. A start that finishes after all hands what
// it started to release.
func startWithin[T any](start func() (T, error), timeout time.Duration, release func(T)) (T, error) {
	type result struct {
		started T
		err     error
	}
	ch := make(chan result, 1)
	go func() {
		started, err := start()
		ch <- result{started, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.started, r.err
	case <-t.C:
	}
	// The start goroutine is left to finish on its own: nothing can stop
	// a call stuck inside a C library.
	go func() {
		if r := <-ch; r.err == nil {
			release(r.started)
		}
	}()
	var none T
	return none, fmt.Errorf("audio: %w within %v (%s)", errStartStuck, timeout, stuckHint())
}

// stuckHint says what to do about a start that hangs: the one cause known
// to leave a trace is a stale JACK metadata database.
func stuckHint() string {
	db := fmt.Sprintf("/dev/shm/jack_db-%d", os.Getuid())
	if _, err := os.Stat(db); err == nil {
		return fmt.Sprintf("JACK's metadata database %s may hold the lock of a crashed program: with no JACK server running, remove that folder and restart the agent", db)
	}
	return "a sound library is stuck; restart the agent"
}
