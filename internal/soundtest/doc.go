// Package soundtest starts private sound servers for end-to-end tests: a
// real PulseAudio or a headless PipeWire (pipewire, wireplumber,
// pipewire-pulse and a private D-Bus), each with its own runtime dir and
// null sinks standing for a speaker, a microphone feed, two ringers and a
// headset, and ALSA's default PCM routed to it as on a desktop. The tests
// drive both servers with the same PulseAudio tools (pactl, paplay,
// parecord). Linux only: elsewhere Start skips.
package soundtest

import "testing"

// The sound servers, as Start's kind and as subtest names.
const (
	PulseAudio = "pulseaudio"
	PipeWire   = "pipewire"
)

// Server is a private sound server speaking the PulseAudio protocol: a
// real PulseAudio or PipeWire's pipewire-pulse. The tests drive both with
// the same PulseAudio tools.
type Server struct {
	Kind string // PulseAudio or PipeWire
	// Dir holds the server's runtime dir (Dir/run), home and files.
	Dir string
	// Addr is the server string clients take (PULSE_SERVER).
	Addr string
}

// ForEach runs test as one subtest per sound server, named by the
// server; the test starts its private server with Start.
func ForEach(t *testing.T, test func(t *testing.T, kind string)) {
	for _, kind := range []string{PulseAudio, PipeWire} {
		t.Run(kind, func(t *testing.T) { test(t, kind) })
	}
}
