//go:build linux && cgo && !noportaudio

package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
)

// The agent started on a machine without a sound card writes nothing of
// ALSA's complaints to its stderr (the terminal of `bpclient agent`); they
// are in BPClient.log at debug, for support staff.
func TestAgentLibraryChatterInLog(t *testing.T) {
	root := t.TempDir()
	env, err := browsertest.NewEnv(filepath.Join(root, "e"))
	if err != nil {
		t.Fatal(err)
	}
	noCard := filepath.Join(root, "asound.conf")
	if err := os.WriteFile(noCard, []byte(browsertest.MissingCardALSA), 0o644); err != nil {
		t.Fatal(err)
	}
	env.Extra = append(env.Extra, "ALSA_CONFIG_PATH="+noCard, "JACK_NO_START_SERVER=1")
	bins, err := browsertest.BuildBinaries(context.Background(), filepath.Join(root, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agent, err := browsertest.StartAgent(ctx, bins, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Stop() })
	c, _, err := browsertest.Dial(ctx, env, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The agent starts PortAudio with its first stream: the test's.
	if err := c.Call(ctx, "audio.test", map[string]any{"seconds": 0.5}, nil); err != nil {
		t.Fatal(err)
	}
	for done := false; !done; {
		select {
		case ev := <-c.Events():
			done = ev.Method == "audio.testDone"
		case <-ctx.Done():
			t.Fatal("no audio.testDone within 30 s")
		}
	}
	if err := agent.Stop(); err != nil {
		t.Fatal(err)
	}
	if out, err := os.ReadFile(filepath.Join(env.Root, "agent.stderr")); err != nil || len(out) != 0 {
		t.Errorf("agent stderr (%v), want empty:\n%s", err, out)
	}
	log, err := os.ReadFile(env.LogFile())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range bytes.Split(log, []byte("\n")) {
		if bytes.Contains(l, []byte(`"level":"debug"`)) && bytes.Contains(l, []byte(`"library":"alsa: `)) && bytes.Contains(l, []byte("nosuchcard")) {
			found = true
		}
	}
	if !found {
		t.Errorf("BPClient.log has no debug line with ALSA's complaint about the missing card:\n%s", log)
	}
}
