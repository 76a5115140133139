//go:build cgo && !noportaudio

package audio

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/gordonklaus/portaudio"
)

// paBackend is PortAudio. PortAudio's control calls (initialise,
// enumerate, open, close) are not safe to run concurrently, so mu
// serialises them; reads and writes on distinct streams run freely.
type paBackend struct {
	mu     sync.Mutex
	open_  bool
	list   DeviceList
	byID   map[string]*portaudio.DeviceInfo
	nOpen  int
	closed bool
}

// portAudioAvailable says whether this build has PortAudio.
const portAudioAvailable = true

func newPortAudio() (backend, error) {
	b := &paBackend{}
	if err := b.init(); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *paBackend) init() error {
	quietLibraries()
	if err := portaudio.Initialize(); err != nil {
		if errors.Is(err, portaudio.HostApiNotFound) && runtime.GOOS == "linux" {
			// The release build opens ALSA's library at this point; its
			// only host API is missing when the library is.
			return fmt.Errorf("audio: initialise PortAudio: %w (is ALSA's libasound.so.2 installed? Debian/Ubuntu: libasound2)", err)
		}
		return fmt.Errorf("audio: initialise PortAudio: %w", err)
	}
	b.open_ = true
	devs, err := portaudio.Devices()
	if err != nil {
		return fmt.Errorf("audio: list devices: %w", err)
	}
	apis, err := portaudio.HostApis()
	if err != nil {
		return fmt.Errorf("audio: list host APIs: %w", err)
	}
	var defIn, defOut *portaudio.DeviceInfo
	if d, err := portaudio.DefaultInputDevice(); err == nil {
		defIn = d
	}
	if d, err := portaudio.DefaultOutputDevice(); err == nil {
		defOut = d
	}
	list := DeviceList{HostAPIs: []string{}, Inputs: []Device{}, Outputs: []Device{}}
	for _, a := range apis {
		list.HostAPIs = append(list.HostAPIs, a.Name)
	}
	byID := make(map[string]*portaudio.DeviceInfo, len(devs))
	seen := make(map[[2]string]int)
	for _, d := range devs {
		api := ""
		if d.HostApi != nil {
			api = d.HostApi.Name
		}
		k := [2]string{api, d.Name}
		id := DeviceID(api, d.Name, seen[k])
		seen[k]++
		byID[id] = d
		if d.MaxInputChannels > 0 {
			list.Inputs = append(list.Inputs, Device{ID: id, Name: d.Name, HostAPI: api,
				Channels: d.MaxInputChannels, Default: d == defIn, DefaultRate: d.DefaultSampleRate})
		}
		if d.MaxOutputChannels > 0 {
			list.Outputs = append(list.Outputs, Device{ID: id, Name: d.Name, HostAPI: api,
				Channels: d.MaxOutputChannels, Default: d == defOut, DefaultRate: d.DefaultSampleRate})
		}
	}
	b.list, b.byID = list, byID
	return nil
}

func (b *paBackend) devices() (DeviceList, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return DeviceList{}, ErrClosed
	}
	return b.list, nil
}

func (b *paBackend) reload() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	if b.nOpen > 0 {
		return errors.New("audio: cannot re-enumerate with streams open")
	}
	if b.open_ {
		portaudio.Terminate()
		b.open_ = false
	}
	return b.init()
}

func (b *paBackend) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.open_ {
		b.open_ = false
		return portaudio.Terminate()
	}
	return nil
}

func (b *paBackend) open(id string, input bool, rate, frameSamples int, cb callback) (rawStream, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if id == "" {
		d, ok := b.list.DefaultDevice(input)
		if !ok {
			return nil, fmt.Errorf("%w: no default %s", ErrNoDevice, direction(input))
		}
		id = d.ID
	}
	dev := b.byID[id]
	if dev == nil || (input && dev.MaxInputChannels < 1) || (!input && dev.MaxOutputChannels < 1) {
		return nil, fmt.Errorf("%w: %s %q", ErrNoDevice, direction(input), id)
	}
	s := &paStream{id: id}
	p := portaudio.StreamParameters{SampleRate: float64(rate), Flags: portaudio.ClipOff | portaudio.DitherOff}
	dp := portaudio.StreamDeviceParameters{Device: dev, Channels: 1}
	if input {
		dp.Latency = dev.DefaultLowInputLatency
		p.Input = dp
	} else {
		dp.Latency = dev.DefaultLowOutputLatency
		p.Output = dp
	}
	// Ask for the codec's rate; when the device refuses it, run at the
	// device's own rate and let the stream resample.
	if portaudio.IsFormatSupported(p, func([]int16) {}) != nil {
		p.SampleRate = dev.DefaultSampleRate
	}
	p.FramesPerBuffer = int(int64(frameSamples) * int64(p.SampleRate) / int64(rate))
	st, err := portaudio.OpenStream(p, func(buf []int16) { cb(buf) })
	if err != nil {
		return nil, fmt.Errorf("audio: open %s %q at %g Hz: %w", direction(input), id, p.SampleRate, err)
	}
	if err := st.Start(); err != nil {
		st.Close()
		return nil, fmt.Errorf("audio: start %s %q: %w", direction(input), id, err)
	}
	s.st, s.sr, s.b = st, int(p.SampleRate), b
	b.nOpen++
	return s, nil
}

type paStream struct {
	id   string
	sr   int
	st   *portaudio.Stream
	b    *paBackend
	done bool
}

func (s *paStream) rate() int        { return s.sr }
func (s *paStream) deviceID() string { return s.id }

func (s *paStream) abort() error {
	s.b.mu.Lock()
	if s.done {
		s.b.mu.Unlock()
		return nil
	}
	s.done = true
	live := !s.b.closed && s.b.open_
	s.b.mu.Unlock()
	// Abort only touches this stream (and joins its callback thread,
	// which a dying device may hold for a while): no lock. Close changes
	// PortAudio's list of streams: under the lock. The stream counts as
	// open until closed, so nothing re-initialises PortAudio under it.
	var err error
	if live {
		err = s.st.Abort()
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.nOpen--
	if live && !s.b.closed && s.b.open_ {
		if cerr := s.st.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
