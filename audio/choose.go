package audio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Backend names, as BPCLIENT_AUDIO_BACKEND and WithBackend take them.
const (
	BackendPulse     = "pulse"     // the PulseAudio native protocol (Linux: PulseAudio, pipewire-pulse)
	BackendPortAudio = "portaudio" // PortAudio (Windows, macOS, Linux with plain ALSA)
)

// BackendEnv names the environment variable that overrides the choice
// of backend, for support: "pulse" or "portaudio" ("" or "auto": choose).
const BackendEnv = "BPCLIENT_AUDIO_BACKEND"

// BackendInfo says which backend Open chose and why: support staff read
// it in `bpclient version --verbose`.
type BackendInfo struct {
	Name string `json:"name"` // BackendPulse or BackendPortAudio
	// Description is the backend as a person reads it: "PulseAudio
	// protocol, server: pulseaudio 16.1", "PortAudio V19.6.0-devel, …".
	Description string `json:"description"`
	Server      string `json:"server,omitempty"`  // "pulseaudio 16.1", "PipeWire 0.3.65 via pipewire-pulse"
	Address     string `json:"address,omitempty"` // where the server answered ("unix:/run/user/1000/pulse/native")
	Reason      string `json:"reason"`            // why this one
}

// WithBackend picks the backend by name (BackendPulse, BackendPortAudio;
// "" or "auto" chooses as without it); BPCLIENT_AUDIO_BACKEND, when set,
// overrides it.
func WithBackend(name string) Option {
	return func(s *System) error {
		s.want = name
		return nil
	}
}

// wantedBackend is the backend asked for and who asked.
func (s *System) wantedBackend() (name, source string, err error) {
	name, source = s.want, "the configuration (audio backend "+s.want+")"
	if env := strings.TrimSpace(os.Getenv(BackendEnv)); env != "" {
		name, source = env, BackendEnv+"="+env
	}
	name = strings.ToLower(strings.TrimSpace(name))
	switch name {
	case "", "auto":
		return "", "", nil
	case BackendPulse, BackendPortAudio:
		return name, source, nil
	}
	return "", "", fmt.Errorf("audio: %s names no backend (want %s, %s or auto)", source, BackendPulse, BackendPortAudio)
}

// start opens the backend Open chose: the native PulseAudio protocol
// when a server answers (Linux) or when asked for, else PortAudio.
func (s *System) start() error {
	want, source, err := s.wantedBackend()
	if err != nil {
		return err
	}
	reason := "PortAudio is this OS's backend"
	if want != BackendPortAudio {
		be, info, err := openPulse()
		switch {
		case err == nil:
			info.Reason = "a PulseAudio-protocol server answered at " + info.Address
			if want != "" {
				info.Reason = source
			}
			s.be, s.info, s.lazy = be, info, nil
			s.events = be
			// The server tells of killed and moved streams at once; the
			// stall check only catches a stream the server forgot, and
			// need not wake every 50 ms for it. A server merely slow (a
			// loaded machine) is not helped by a new stream on the same
			// server, which a PulseAudio null sink takes 2 s to start:
			// the limits are long.
			s.stallCheck, s.stallLimit, s.firstIOLimit = pulseStallCheck, pulseStallLimit, pulseFirstIOLimit
			s.stopEvents = be.watch(s.DevicesChanged)
			return nil
		case want == BackendPulse:
			return fmt.Errorf("audio: %s, but %w", source, err)
		case !errors.Is(err, errPulseUnsupported):
			reason = fmt.Sprintf("no PulseAudio-protocol server answered (%v): PortAudio with ALSA", err)
		}
	} else {
		reason = source
	}
	s.info = BackendInfo{Name: BackendPortAudio, Description: Backend(), Reason: reason}
	if s.lazy != nil {
		if !portAudioAvailable {
			return fmt.Errorf("%w (%s)", ErrUnavailable, reason)
		}
		s.be = s.lazy
		return nil
	}
	be, err := newPortAudio()
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			return fmt.Errorf("%w (%s)", ErrUnavailable, reason)
		}
		return err
	}
	s.be = be
	return nil
}

// How often a stream on the PulseAudio backend checks that the server
// still asks for or sends audio, how long a running one may go without,
// and how long a new one may take to start.
const (
	pulseStallCheck   = 200 * time.Millisecond
	pulseStallLimit   = 2 * time.Second
	pulseFirstIOLimit = 5 * time.Second
)

// Backend says which backend this system runs on, and why.
func (s *System) Backend() BackendInfo { return s.info }

// deviceEvents is a backend that hears of device changes from the OS or
// sound server itself (no polling, no child process).
type deviceEvents interface {
	// watch calls fn with the list now and after each change, until
	// stop; fn must not block.
	watch(fn func(DeviceList)) (stop func())
}

// ErrNoDeviceEvents is returned by WatchDevices on a backend that cannot
// tell of device changes (PortAudio): use a Watcher.
var ErrNoDeviceEvents = errors.New("audio: this backend has no device events")

// HasDeviceEvents reports whether WatchDevices works on this system's
// backend (the PulseAudio one); without, a Watcher has to poll.
func (s *System) HasDeviceEvents() bool { return s.events != nil }

// WatchDevices calls onChange with the device list at once and with each
// list that differs from the last, from the caller's goroutine, until ctx
// ends; it returns ctx's error, or ErrNoDeviceEvents at once when the
// backend has no events. Open streams are moved off removed devices
// whether or not anyone watches.
func (s *System) WatchDevices(ctx context.Context, onChange func(DeviceList)) error {
	if s.events == nil {
		return ErrNoDeviceEvents
	}
	var latest listSlot
	latest.ready = make(chan struct{}, 1)
	stop := s.events.watch(latest.set)
	defer stop()
	var last *DeviceList
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-latest.ready:
		}
		l := latest.get()
		if last == nil || !last.Equal(l) {
			last = &l
			onChange(l)
		}
	}
}

// listSlot hands the newest list from a backend's event loop to a
// watcher without ever making the loop wait.
type listSlot struct {
	mu    sync.Mutex
	list  DeviceList
	ready chan struct{}
}

func (l *listSlot) set(list DeviceList) {
	l.mu.Lock()
	l.list = list
	l.mu.Unlock()
	signal(l.ready)
}

func (l *listSlot) get() DeviceList {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.list
}

// eventBackend is a backend with device events (the PulseAudio one).
type eventBackend interface {
	backend
	deviceEvents
}

// errPulseUnsupported: the PulseAudio backend is built on Linux only;
// elsewhere PortAudio is the backend.
var errPulseUnsupported = errors.New("the PulseAudio backend runs on Linux only")
