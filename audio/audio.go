// Package audio owns the sound devices: it lists them with ids that stay
// stable across restarts, opens capture and playback streams that hand
// out frames of 16-bit mono PCM at a codec's rate, moves a stream to the
// default device when its device disappears, rings on several outputs at
// once, and watches for devices coming and going.
//
// On Linux the devices are reached through the sound server's own
// protocol when a PulseAudio-protocol server (PulseAudio, or PipeWire's
// pipewire-pulse) answers: pure Go, with device events. Otherwise, and on
// Windows and macOS, through PortAudio (cgo, build tag "cgo" and not
// "noportaudio"). Without either the package still compiles and Open
// returns ErrUnavailable. Open says which it chose (System.Backend).
package audio

import (
	"errors"
	"fmt"
	"time"
)

// ErrUnavailable is returned by Open when this build has no audio backend
// (built without cgo, or with the noportaudio tag).
var ErrUnavailable = errors.New("audio unavailable: this bpclient was built without PortAudio (cgo)")

// ErrNoDevice is returned when an id names no known device.
var ErrNoDevice = errors.New("no such audio device")

// ErrClosed is returned by operations on a closed stream or system.
var ErrClosed = errors.New("audio: closed")

// Device is one input or output as the API shows it.
type Device struct {
	// ID is "<host API>:<name>#<n>", n counting devices of the same host
	// API and name in enumeration order from 0; it survives restarts.
	ID       string `json:"id"`
	Name     string `json:"name"`
	HostAPI  string `json:"hostApi"`
	Channels int    `json:"channels"`
	// Default marks the system's default input (in Inputs) or output (in
	// Outputs).
	Default     bool    `json:"default"`
	DefaultRate float64 `json:"defaultRate"`
	// Monitor marks an input that records what an output plays (a
	// PulseAudio monitor source): listed for the programs and test rigs
	// that feed a call that way, after the real inputs; a page may hide
	// them.
	Monitor bool `json:"monitor,omitempty"`
}

// DeviceList is what `bpclient devices --json` prints and audio.devices
// answers.
type DeviceList struct {
	HostAPIs []string `json:"hostApis"`
	Inputs   []Device `json:"inputs"`
	Outputs  []Device `json:"outputs"`
}

// DeviceID builds the stable id of a device.
func DeviceID(hostAPI, name string, n int) string {
	return fmt.Sprintf("%s:%s#%d", hostAPI, name, n)
}

// Find returns the device with the id among inputs (input true) or
// outputs.
func (l DeviceList) Find(id string, input bool) (Device, bool) {
	list := l.Outputs
	if input {
		list = l.Inputs
	}
	for _, d := range list {
		if d.ID == id {
			return d, true
		}
	}
	return Device{}, false
}

// DefaultDevice returns the default input or output, if any.
func (l DeviceList) DefaultDevice(input bool) (Device, bool) {
	list := l.Outputs
	if input {
		list = l.Inputs
	}
	for _, d := range list {
		if d.Default {
			return d, true
		}
	}
	return Device{}, false
}

// Equal reports whether two lists name the same devices in the same roles.
func (l DeviceList) Equal(o DeviceList) bool {
	eq := func(a, b []Device) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	return eq(l.Inputs, o.Inputs) && eq(l.Outputs, o.Outputs)
}

// Format is what a stream's user sees: mono 16-bit PCM at Rate, handed
// over in frames of Frame.
type Format struct {
	Rate  int           // 8000, 16000 or 48000 (others work too)
	Frame time.Duration // 10, 20 or 30 ms
}

// Samples is the number of samples in one frame.
func (f Format) Samples() int { return int(int64(f.Rate) * int64(f.Frame) / int64(time.Second)) }

func (f Format) check() error {
	if f.Rate < 4000 || f.Rate > 192000 {
		return fmt.Errorf("audio: sample rate %d out of range", f.Rate)
	}
	if f.Frame < time.Millisecond || f.Frame > 100*time.Millisecond || f.Samples() == 0 {
		return fmt.Errorf("audio: frame %v out of range", f.Frame)
	}
	if time.Duration(f.Samples())*time.Second != f.Frame*time.Duration(f.Rate) {
		return fmt.Errorf("audio: a %v frame is not a whole number of samples at %d Hz", f.Frame, f.Rate)
	}
	return nil
}

// Move says that a stream left its device for another one.
type Move struct {
	Stream    string `json:"stream"` // the stream's name (StreamOptions.Name)
	Direction string `json:"direction"`
	From      string `json:"from"`
	To        string `json:"to"`
	Reason    string `json:"reason"` // ReasonRemoved, ReasonError, ReasonStalled or ReasonServer
	Err       string `json:"error,omitempty"`
}

// StreamOptions are per-stream settings.
type StreamOptions struct {
	// Name labels the stream in Move events ("call", "ringer", "test").
	Name string
	// OnMove is called (from the stream's goroutine) after the stream
	// moved to another device. Keep it short.
	OnMove func(Move)
	// NoMove makes a failed device end the stream with an error instead
	// of moving it (the ringer uses it: ringing on the default device
	// twice helps nobody).
	NoMove bool
}

// Stats counts what a stream lost and did.
type Stats struct {
	Device     string `json:"device"`
	DeviceRate int    `json:"deviceRate"`
	Frames     uint64 `json:"frames"`
	Overruns   uint64 `json:"overruns"`  // frames dropped: capture, the reader was late; playback, the device did not take them
	Underruns  uint64 `json:"underruns"` // playback frames of silence because the writer was late
	Moves      uint64 `json:"moves"`
	Restarts   uint64 `json:"restarts"` // reopened on the same device because it never got going
}

var errShortBuffer = errors.New("audio: buffer shorter than one frame")
