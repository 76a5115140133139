package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/internal/soundtest"
)

// With a PulseAudio-protocol server answering, version --verbose names
// the PulseAudio backend, why it was chosen and the server; asked for
// PortAudio, it names PortAudio and who asked.
func TestVersionVerboseNamesTheBackend(t *testing.T) {
	soundtest.ForEach(t, func(t *testing.T, server string) {
		soundtest.Start(t, server)
		t.Setenv("XDG_CONFIG_HOME", t.TempDir())
		run := func() (audioInfo, string) {
			t.Helper()
			var out, errb bytes.Buffer
			if code := Run(context.Background(), []string{"version", "--verbose", "--json"}, Env{Stdout: &out, Stderr: &errb}); code != exitOK {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			var got struct{ Audio audioInfo }
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, out.String())
			}
			out.Reset()
			Run(context.Background(), []string{"version", "--verbose"}, Env{Stdout: &out, Stderr: &errb})
			return got.Audio, out.String()
		}
		t.Setenv(audio.BackendEnv, "")
		a, text := run()
		want := map[string]string{soundtest.PulseAudio: "pulseaudio 16", soundtest.PipeWire: "PipeWire 0.3"}[server]
		if a.BackendName != audio.BackendPulse || !strings.HasPrefix(a.Server, want) || !a.Available ||
			!strings.Contains(a.BackendReason, "PulseAudio-protocol server answered") {
			t.Errorf("audio %+v, want the PulseAudio backend on %s…", a, want)
		}
		if !strings.Contains(text, "audio: available: PulseAudio protocol, server: "+want) {
			t.Errorf("text:\n%s", text)
		}
		t.Logf("%s", text)
		t.Setenv(audio.BackendEnv, audio.BackendPortAudio)
		a, text = run()
		if audio.Backend() != "" && (a.BackendName != audio.BackendPortAudio || !strings.Contains(a.BackendReason, audio.BackendEnv)) {
			t.Errorf("%s=portaudio: audio %+v", audio.BackendEnv, a)
		}
		t.Logf("%s", text)
	})
}
