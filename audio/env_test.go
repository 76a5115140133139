//go:build linux

package audio

import (
	"context"
	"os/exec"
	"testing"

	"github.com/openbpclient/bpclient/internal/soundtest"
)

// These helpers give PortAudio real devices on a machine without a sound
// card (see the shared recipes): ALSA file devices (bit-exact, unpaced)
// and a private PulseAudio (paced like a sound card).

func needTool(t testing.TB, names ...string) { t.Helper(); soundtest.NeedTool(t, names...) }

// alsaEnv points ALSA at a config of our own; PortAudio must be opened
// after it.
func alsaEnv(t testing.TB, conf string) string { t.Helper(); return soundtest.ALSAEnv(t, conf) }

// fileDevices is an ALSA config with a capture device reading raw S16 from
// DIR/in.s16 and two playback devices writing DIR/out1.wav, DIR/out2.wav.
const fileDevices = `
pcm.!default { type asym playback.pcm "sipplay1" capture.pcm "sipcap" }
ctl.!default { type null }
pcm.sipcap { type file slave.pcm "sipnull" file "/dev/null" infile "DIR/in.s16" format "raw" }
pcm.sipplay1 { type file slave.pcm "sipnull" file "DIR/out1.wav" format "wav" }
pcm.sipplay2 { type file slave.pcm "sipnull" file "DIR/out2.wav" format "wav" }
pcm.sipnull { type null }
`

// pulse is the tests' private sound server (internal/soundtest).
type pulse = soundtest.Server

// The sound servers the audio end-to-end tests run on, as subtest names.
const (
	serverPulseAudio = soundtest.PulseAudio
	serverPipeWire   = soundtest.PipeWire
)

func forEachSoundServer(t *testing.T, test func(t *testing.T, server string)) {
	soundtest.ForEach(t, test)
}

func startPulse(t testing.TB, server string) *pulse { return soundtest.Start(t, server) }

func readRaw(t testing.TB, path string) []int16 { return soundtest.ReadRaw(t, path) }

func writeRaw(t testing.TB, path string, pcm []int16) { soundtest.WriteRaw(t, path, pcm) }

func execCmd(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, name, args...)
}

// openSystem opens PortAudio in the test's environment and closes it when
// the test ends.
func openSystem(t testing.TB) *System {
	t.Helper()
	sys, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	return sys
}
