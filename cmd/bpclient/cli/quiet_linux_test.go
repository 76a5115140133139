//go:build linux && cgo && !noportaudio

package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
)

// The commands print only their own answer: ALSA's and JACK's complaints
// about a missing sound card or server (about a hundred lines on such a
// machine) stay off the terminal. Run as the real binary, since the
// libraries write to the process's fd 2, not to Env.Stderr.
func TestCommandsQuiet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bins, err := browsertest.BuildBinaries(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	noCard := filepath.Join(dir, "asound.conf")
	if err := os.WriteFile(noCard, []byte(browsertest.MissingCardALSA), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  []string
		args []string
		want string // the start of stdout
	}{
		// The missing card.
		{"devices, no card", []string{"ALSA_CONFIG_PATH=" + noCard}, []string{"devices"}, "host APIs: "},
		{"devices --json, no card", []string{"ALSA_CONFIG_PATH=" + noCard}, []string{"devices", "--json"}, `{"`},
		{"audio test, no card", []string{"ALSA_CONFIG_PATH=" + noCard}, []string{"audio", "test", "--seconds", "0.5", "--json"}, `{"`},
		{"version --verbose, no card", []string{"ALSA_CONFIG_PATH=" + noCard}, []string{"version", "--verbose"}, "bpclient "},
		// The machine's own ALSA setup, its plugins (JACK's among them) included.
		{"devices, this machine", nil, []string{"devices"}, "host APIs: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.CommandContext(ctx, bins.CLI, c.args...)
			cmd.Env = append(append(os.Environ(), "HOME="+dir, "XDG_RUNTIME_DIR="+dir), c.env...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v: %v\nstderr:\n%s", c.args, err, stderr.String())
			}
			if stderr.Len() != 0 {
				t.Errorf("%v wrote to stderr (%d lines), want nothing:\n%s", c.args, strings.Count(stderr.String(), "\n"), stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), c.want) {
				t.Errorf("%v stdout %q, want it to start with %q", c.args, stdout.String(), c.want)
			}
		})
	}
}
