package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// bpclient log level changes what a running agent logs, at once and
// without a restart; a page cannot.
func TestLogLevelAtRuntime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the agent's address follows XDG_RUNTIME_DIR on Linux only")
	}
	dir, err := os.MkdirTemp("", "lvl") // short: a socket path has 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(dir, "run"))
	os.MkdirAll(filepath.Join(dir, "run"), 0o700)
	addr, err := ipc.DefaultAddr()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := ipc.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	gate := newLogGate(zerolog.DebugLevel)
	log := zerolog.New(&out).Hook(gate)
	store := &policy.Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user.json")}
	os.WriteFile(store.AdminFile, []byte(`{"domains":["agent.example.test"]}`), 0o600)
	srv := agent.New(agent.Options{Policy: store, Logger: log})
	if err := srv.Register(&logService{gate: gate, log: log}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served })

	level := func(args ...string) string {
		t.Helper()
		var o, e bytes.Buffer
		if code := Run(ctx, append([]string{"log", "level"}, args...), Env{Stdout: &o, Stderr: &e}); code != exitOK {
			t.Fatalf("log level %v: exit %d: %s", args, code, e.String())
		}
		return strings.TrimSpace(o.String())
	}
	if got := level(); got != "log level: debug" {
		t.Errorf("current level: %q", got)
	}
	if got := level("warn"); got != "log level: warn" {
		t.Errorf("set warn: %q", got)
	}
	log.Info().Msg("quiet-info")
	log.Warn().Msg("loud-warn")
	if level("debug"); !strings.Contains(out.String(), `"to":"warn"`) {
		t.Errorf("the change is not logged: %s", out.String())
	}
	log.Debug().Msg("now-debug")
	text := out.String()
	if strings.Contains(text, "quiet-info") || !strings.Contains(text, "loud-warn") || !strings.Contains(text, "now-debug") {
		t.Errorf("log after warn then debug:\n%s", text)
	}
	var o, e bytes.Buffer
	if code := Run(ctx, []string{"log", "level", "trace"}, Env{Stdout: &o, Stderr: &e}); code != exitUsage {
		t.Errorf("unknown level: exit %d", code)
	}

	// A page, even of an allowed origin, is refused.
	c, err := client.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Notify("relay.identify", map[string]any{"browser": "chromium", "extension": "chrome-extension://" + policy.ChromiumExtensionID + "/"})
	if err := c.Call(ctx, "helper.hello", map[string]any{"pageOrigin": "https://agent.example.test"}, nil); err != nil {
		t.Fatal(err)
	}
	err = c.Call(ctx, "log.level", map[string]string{"level": "warn"}, nil)
	var rerr *jsonrpc.Error
	if !errors.As(err, &rerr) || rerr.Code != jsonrpc.CodeNotAllowed {
		t.Errorf("page setting the level: %v", err)
	}
	if got := level(); got != "log level: debug" {
		t.Errorf("after the page: %q", got)
	}
}
