//go:build linux && cgo && !noportaudio

package audio

import (
	"strings"
	"testing"
)

// noCardDevices names a sound card that is not there: ALSA complains
// about it on every enumeration, as it does on a machine without one.
const noCardDevices = `
pcm.!default { type hw card "nosuchcard" }
pcm.nocard { type plug slave.pcm { type hw card "nosuchcard" } }
ctl.!default { type hw card "nosuchcard" }
`

// What ALSA says while PortAudio enumerates reaches the library log (and,
// TestDevicesQuiet in cmd/bpclient/cli shows, not stderr).
func TestLibraryChatterGoesToLog(t *testing.T) {
	alsaEnv(t, noCardDevices)
	var lines []string
	sys, err := Open(WithLibraryLog(func(line string) { lines = append(lines, line) }))
	if err != nil {
		t.Fatal(err)
	}
	if err := sys.Close(); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range lines {
		if strings.HasPrefix(l, "alsa: ") && strings.Contains(l, "nosuchcard") {
			found = true
		}
		if strings.Contains(l, "\n") || l == "" {
			t.Errorf("library log line %q: want one non-empty line", l)
		}
	}
	if !found {
		t.Errorf("no ALSA line about the missing card in the library log: %q", lines)
	}
}
