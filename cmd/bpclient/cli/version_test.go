package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/audio/codec"
)

// version --verbose is what support staff read first about a softphone
// without sound: it names the audio library and every codec of the build,
// and says why audio is unavailable when it is.
func TestVersionVerbose(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"version", "--verbose", "--json"}, Env{Stdout: &out, Stderr: &errb}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got struct {
		Version string
		Audio   audioInfo
		Codecs  []string
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(got.Codecs) != len(codec.Available()) || !strings.Contains(strings.Join(got.Codecs, " "), "PCMU/8000") {
		t.Errorf("codecs %v, want one per codec.Available(), PCMU among them", got.Codecs)
	}
	// G.729 is pure Go now (audio/codec/g729): in every build, so every release.
	if !strings.Contains(" "+strings.Join(got.Codecs, " ")+" ", " G729/8000 ") {
		t.Errorf("codecs %v, want G729/8000 among them", got.Codecs)
	}
	switch got.Audio.BackendName {
	case audio.BackendPulse:
		if !strings.HasPrefix(got.Audio.Backend, "PulseAudio protocol, server: ") || got.Audio.Server == "" || got.Audio.BackendReason == "" {
			t.Errorf("audio %+v, want the PulseAudio protocol with its server and why", got.Audio)
		}
	case audio.BackendPortAudio, "":
		// PortAudio in use, or no backend at all: the linked library.
		if got.Audio.Backend != audio.Backend() {
			t.Errorf("backend %q, want %q", got.Audio.Backend, audio.Backend())
		}
	default:
		t.Errorf("backend name %q", got.Audio.BackendName)
	}
	if got.Audio.Available == (got.Audio.Error != "") {
		t.Errorf("available %v with error %q", got.Audio.Available, got.Audio.Error)
	}
	if _, withOpus := codec.Lookup("opus", 48000); (withOpus == nil) != strings.Contains(out.String(), `"opus/48000/2"`) {
		t.Errorf("opus in the build: %v; in the output: %s", withOpus == nil, out.String())
	}

	out.Reset()
	if code := Run(context.Background(), []string{"version", "--verbose"}, Env{Stdout: &out, Stderr: &errb}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "bpclient ") || !strings.HasPrefix(lines[1], "audio: ") || !strings.HasPrefix(lines[2], "codecs: ") {
		t.Errorf("text output:\n%s", out.String())
	}
}
