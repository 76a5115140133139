package doctor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
)

// testRoots is an isolated Linux user: HOME and XDG_CONFIG_HOME in a
// temporary folder, and a System root for /etc.
func testRoots(t *testing.T) (Roots, string) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"HOME":            filepath.Join(dir, "home"),
		"XDG_CONFIG_HOME": filepath.Join(dir, "home", ".config"),
	}
	if err := os.MkdirAll(env["XDG_CONFIG_HOME"], 0o700); err != nil {
		t.Fatal(err)
	}
	return Roots{GOOS: "linux", Getenv: func(k string) string { return env[k] }, System: filepath.Join(dir, "sys"), User: "agent"}, dir
}

var (
	hostOnce sync.Once
	hostPath string
	hostErr  error
)

// realHost builds the real bpclient-host once per test binary.
func realHost(t *testing.T) string {
	t.Helper()
	hostOnce.Do(func() {
		dir, err := os.MkdirTemp("", "doctorhost")
		if err != nil {
			hostErr = err
			return
		}
		hostPath, hostErr = buildHost(filepath.Join(dir, "bpclient-host"))
	})
	if hostErr != nil {
		t.Fatalf("build bpclient-host: %v", hostErr)
	}
	return hostPath
}

// buildHost builds bpclient-host at out, as `make build` does (no cgo),
// with the extra go build flags.
func buildHost(out string, flags ...string) (string, error) {
	root, err := browsertest.ModuleRoot()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append(append([]string{"build", "-o", out}, flags...), "./cmd/bpclient-host")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(string(msg)))
	}
	return out, nil
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustMkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o700); err != nil {
		t.Fatal(err)
	}
}

func only(t *testing.T, rs []Result, id string) Result {
	t.Helper()
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no check %s in %+v", id, rs)
	return Result{}
}

func wantResult(t *testing.T, r Result, status Status, found, fix string) {
	t.Helper()
	if r.Status != status || !strings.Contains(r.Found, found) || !strings.Contains(r.Fix, fix) {
		t.Errorf("%s: got %s %q (fix %q), want %s with %q (fix with %q)", r.ID, r.Status, r.Found, r.Fix, status, found, fix)
	}
	if status != OK && r.Fix == "" {
		t.Errorf("%s: %s without a fix", r.ID, status)
	}
}
