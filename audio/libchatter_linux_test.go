//go:build linux && cgo && !noportaudio

package audio

import (
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/internal/browsertest"
)

// What ALSA says while PortAudio enumerates reaches the library log (and,
// TestCommandsQuiet in cmd/bpclient/cli shows, not stderr).
func TestLibraryChatterGoesToLog(t *testing.T) {
	alsaEnv(t, browsertest.MissingCardALSA)
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
