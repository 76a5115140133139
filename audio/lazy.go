package audio

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Lazy makes Open return at once and start the backend only when a
// stream first opens. PortAudio's start enumerates every ALSA PCM, which
// loads ALSA's plugins and what they link (libavcodec behind the a52
// plugin, the JACK and PulseAudio clients: about 20 MB of libraries on a
// desktop) and costs tens of milliseconds; an agent that lists devices
// in a child process (Watcher) need not pay for it until it plays or
// records. Once started, the backend stays until Close.
//
// A Watcher is expected to report the devices (DevicesChanged): an open
// before its first list waits for it up to timeout, because a list with
// nothing to open saves the start, and an enumeration that is slow now
// would make the start here as slow.
//
// The lazy start is bounded by timeout too: a sound library that hangs in
// it (see OpenWithin) makes that open, and every later
// one, fail with an error that says so, instead of hanging the caller.
func Lazy(timeout time.Duration) Option {
	return func(s *System) error {
		s.lazy = &lazyBackend{load: newPortAudio, timeout: timeout, awaitHint: timeout, hinted: make(chan struct{})}
		return nil
	}
}

// lazyBackend starts the real backend on first use.
type lazyBackend struct {
	load      func() (backend, error)
	timeout   time.Duration
	awaitHint time.Duration // how long an open waits for the first list
	hinted    chan struct{} // closed by the first setHint

	mu     sync.Mutex
	be     backend // nil until started
	err    error   // a start that failed for good (it hung)
	hint   *DeviceList
	closed bool
}

// started returns the backend, starting it when needed. mu is held while
// starting, so concurrent first uses wait for the one start.
func (l *lazyBackend) started() (backend, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if l.be != nil || l.err != nil {
		return l.be, l.err
	}
	timeout := l.timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	be, err := startWithin(l.load, timeout, func(be backend) { be.close() })
	switch {
	case err == nil:
		l.be = be
	case errors.Is(err, errStartStuck):
		l.err = err // for good: a new start would hang as well
	}
	return l.be, err // after a plain failure, the next use tries again
}

// setHint remembers the device list a Watcher reported, so that an open
// with nothing to open fails without starting the backend.
func (l *lazyBackend) setHint(list DeviceList) {
	l.mu.Lock()
	if l.hint == nil && l.hinted != nil {
		close(l.hinted)
	}
	l.hint = &list
	l.mu.Unlock()
}

// loaded returns the backend if it was started.
func (l *lazyBackend) loaded() backend {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.be
}

func (l *lazyBackend) devices() (DeviceList, error) {
	l.mu.Lock()
	be, hint := l.be, l.hint
	l.mu.Unlock()
	if be == nil && hint != nil {
		return *hint, nil
	}
	be, err := l.started()
	if err != nil {
		return DeviceList{}, err
	}
	return be.devices()
}

func (l *lazyBackend) open(id string, input bool, rate, frameSamples int, cb callback) (rawStream, error) {
	l.mu.Lock()
	be, hint := l.be, l.hint
	l.mu.Unlock()
	if be == nil && hint == nil && l.hinted != nil && l.awaitHint > 0 {
		t := time.NewTimer(l.awaitHint)
		select {
		case <-l.hinted:
		case <-t.C:
		}
		t.Stop()
		l.mu.Lock()
		be, hint = l.be, l.hint
		l.mu.Unlock()
	}
	if be == nil && hint != nil {
		// Nothing listed in that direction (a machine without a sound
		// card): say so without loading the sound libraries.
		devs := hint.Outputs
		if input {
			devs = hint.Inputs
		}
		if len(devs) == 0 {
			return nil, fmt.Errorf("%w: no %s device", ErrNoDevice, direction(input))
		}
	}
	be, err := l.started()
	if err != nil {
		return nil, err
	}
	return be.open(id, input, rate, frameSamples, cb)
}

// reload has nothing to refresh before the start, which enumerates.
func (l *lazyBackend) reload() error {
	if be := l.loaded(); be != nil {
		return be.reload()
	}
	return nil
}

func (l *lazyBackend) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.be != nil {
		return l.be.close()
	}
	return nil
}
