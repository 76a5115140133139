package audio

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// System is the process's access to the audio devices: one per process
// (PortAudio is a process-wide library). It owns every stream it opens.
type System struct {
	be           backend
	retry        time.Duration
	stallCheck   time.Duration
	stallLimit   time.Duration
	firstIOLimit time.Duration
	lazy         *lazyBackend // set by Lazy before the backend starts
	libraryLog   func(line string)
	wg           sync.WaitGroup // supervisors and pumps
	want         string         // WithBackend
	info         BackendInfo
	events       deviceEvents // the backend's, when it has them
	stopEvents   func()

	mu      sync.Mutex
	streams map[*stream]struct{}
	closed  bool
}

// Option configures a System.
type Option func(*System) error

// WithLibraryLog receives, one line at a time, what the sound libraries
// under PortAudio (ALSA, its plugins, JACK) would have written to stderr;
// without it those lines are dropped. They never reach stderr.
func WithLibraryLog(log func(line string)) Option {
	return func(s *System) error {
		s.libraryLog = log
		return nil
	}
}

// Open initialises the audio backend: on Linux the PulseAudio protocol
// when a server answers, else PortAudio (with Lazy: at the first
// stream); BPCLIENT_AUDIO_BACKEND or WithBackend overrides the choice.
// It returns ErrUnavailable when no backend can run (a build without
// PortAudio and no PulseAudio-protocol server).
func Open(opts ...Option) (*System, error) {
	s := newSystem(nil)
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	defer s.forwardLibraryChatter()
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// forwardLibraryChatter hands the sound libraries' waiting lines to the
// library log. The libraries talk while PortAudio initialises and opens
// streams, so this runs after each of those.
func (s *System) forwardLibraryChatter() {
	lines := takeLibraryChatter()
	if s.libraryLog == nil {
		return
	}
	for _, l := range lines {
		s.libraryLog(l)
	}
}

func newSystem(be backend) *System {
	return &System{
		be:           be,
		retry:        100 * time.Millisecond,
		stallCheck:   50 * time.Millisecond,
		stallLimit:   400 * time.Millisecond,
		firstIOLimit: 3 * time.Second,
		streams:      make(map[*stream]struct{}),
	}
}

// Devices lists the devices as this process enumerated them (at Open or
// the last Reload). A Watcher sees changes without re-initialising.
func (s *System) Devices() (DeviceList, error) { return s.be.devices() }

// ErrBusy is returned by Reload while streams are open.
var ErrBusy = errors.New("audio: streams are open")

// Reload enumerates the devices again, which PortAudio can only do by
// re-initialising; it refuses with ErrBusy while any stream is open, so
// a call is never disturbed.
func (s *System) Reload() error {
	defer s.forwardLibraryChatter()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if len(s.streams) > 0 {
		return ErrBusy
	}
	return s.be.reload()
}

// Close ends every stream and releases the backend.
func (s *System) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	all := make([]*stream, 0, len(s.streams))
	for st := range s.streams {
		all = append(all, st)
	}
	s.mu.Unlock()
	for _, st := range all {
		st.close()
	}
	s.wg.Wait() // pumps abandoned on stuck devices included
	if s.stopEvents != nil {
		s.stopEvents()
	}
	defer s.forwardLibraryChatter()
	return s.be.close()
}

// DevicesChanged tells the open streams the current device list (from a
// Watcher): a stream whose device is no longer listed moves to the
// default device.
func (s *System) DevicesChanged(list DeviceList) {
	if s.lazy != nil {
		s.lazy.setHint(list)
	}
	s.mu.Lock()
	all := make([]*stream, 0, len(s.streams))
	for st := range s.streams {
		all = append(all, st)
	}
	s.mu.Unlock()
	for _, st := range all {
		dev := st.Stats().Device
		if _, ok := list.Find(dev, st.input); !ok {
			st.requestMove(dev, ReasonRemoved)
		}
	}
}

// Reasons in Move events.
const (
	ReasonRemoved = "removed" // a Watcher no longer lists the device
	ReasonError   = "error"   // a read or write failed
	ReasonStalled = "stalled" // a read or write did not return in time
	// ReasonServer: the sound server moved the stream (a volume control,
	// the session manager) to a device that is listed; it stays there.
	ReasonServer = "server"
)

// OpenCapture opens the input with the id ("" = the default) and starts
// capturing.
func (s *System) OpenCapture(id string, f Format, o StreamOptions) (*Capture, error) {
	st, err := s.open(id, true, f, o)
	if err != nil {
		return nil, err
	}
	return &Capture{st}, nil
}

// OpenPlayback opens the output with the id ("" = the default) and starts
// playing silence until the first WritePCM.
func (s *System) OpenPlayback(id string, f Format, o StreamOptions) (*Playback, error) {
	st, err := s.open(id, false, f, o)
	if err != nil {
		return nil, err
	}
	return &Playback{st}, nil
}

func (s *System) open(id string, input bool, f Format, o StreamOptions) (*stream, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	defer s.forwardLibraryChatter()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	st := newStream(s, input, f, o)
	p, err := st.openPump(id)
	if errors.Is(err, ErrNoDevice) && id != "" && len(s.streams) == 0 {
		// Perhaps a device that came after the last enumeration: with
		// nothing open, enumerating again disturbs no one.
		if s.be.reload() == nil {
			p, err = st.openPump(id)
		}
	}
	if err != nil {
		return nil, err
	}
	s.streams[st] = struct{}{}
	s.wg.Add(1)
	go st.supervise(p)
	return st, nil
}

func (s *System) forget(st *stream) {
	s.mu.Lock()
	delete(s.streams, st)
	s.mu.Unlock()
}

// Capture hands out captured audio frame by frame.
type Capture struct{ *stream }

// ReadPCM waits for the next frame and copies it into buf, which must
// hold Format.Samples(). It returns the number of samples (one frame).
// When the reader is late the oldest frames are dropped (Stats.Overruns):
// at most one frame waits beyond the one being read, or beyond the
// burst a device handed over at once while the reader waited.
func (c *Capture) ReadPCM(buf []int16) (int, error) { return c.readPCM(buf) }

// Close stops capturing and releases the device.
func (c *Capture) Close() error { c.close(); return nil }

// Playback plays what it is given.
type Playback struct{ *stream }

// WritePCM queues buf for playing, waiting while a frame is already
// queued beyond the one playing, so a writer is paced by the device; a
// device that takes nothing for two frames makes it drop the oldest queued
// audio instead (Stats.Overruns). When the writer is late the device plays
// silence (Stats.Underruns). One writer at a time.
func (p *Playback) WritePCM(buf []int16) (int, error) { return p.writePCM(buf) }

// QueuePCM queues buf for playing and returns at once: for a writer with
// a clock of its own (a call's media), which a device that takes audio
// in bursts must not hold. Up to four frames wait; beyond that the
// oldest go (Stats.Overruns). It returns the samples queued (all of buf
// when it is at most four frames).
func (p *Playback) QueuePCM(buf []int16) (int, error) { return p.queuePCM(buf) }

// Close stops playing at once (what is queued is dropped) and releases
// the device.
func (p *Playback) Close() error { p.close(); return nil }

func (f Format) String() string { return fmt.Sprintf("%d Hz/%v", f.Rate, f.Frame) }
