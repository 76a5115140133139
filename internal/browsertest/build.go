package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const modulePath = "github.com/openbpclient/bpclient"

// ModuleRoot finds the bpclient checkout by walking up from the working
// directory to its go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module "+modulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the bpclient module (no go.mod naming " + modulePath + ")")
		}
		dir = parent
	}
}

// Binaries are the two programs the browser path runs.
type Binaries struct {
	Dir    string
	CLI    string // bpclient: the CLI and the agent
	Host   string // bpclient-host: the relay the browser starts
	Source string // the module root they were built from
}

// BuildBinaries builds bpclient and bpclient-host into dir (side by side,
// as installed: the host starts the agent from its own directory).
func BuildBinaries(ctx context.Context, dir string) (*Binaries, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	b := &Binaries{Dir: dir, CLI: filepath.Join(dir, "bpclient"), Host: filepath.Join(dir, "bpclient-host"), Source: root}
	// The host ships without cgo (as `make build` makes it): test that one.
	for _, p := range []struct{ out, pkg, cgo string }{{b.CLI, "./cmd/bpclient", ""}, {b.Host, "./cmd/bpclient-host", "CGO_ENABLED=0"}} {
		if err := build(ctx, root, p.out, p.pkg, p.cgo); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// BuildChart builds bpclient-chart next to b's bpclient, where `bpclient
// logs collect` looks for it (without cgo, as release.sh builds it). Only
// the tests of the support bundle need it: the others run as if it were
// not installed.
func BuildChart(ctx context.Context, b *Binaries) (string, error) {
	out := filepath.Join(b.Dir, "bpclient-chart")
	return out, build(ctx, b.Source, out, "./cmd/bpclient-chart", "CGO_ENABLED=0")
}

// BuildScreen builds bpclient-screen next to b's bpclient, where the
// agent looks for it, with cgo and the build tags of the test run
// (GOFLAGS: vpx for libvpx), as release.sh builds it with -tags vpx. The
// tests of screen recording and monitoring need it; the others run as
// if it were not installed.
func BuildScreen(ctx context.Context, b *Binaries) (string, error) {
	out := filepath.Join(b.Dir, "bpclient-screen")
	return out, build(ctx, b.Source, out, "./cmd/bpclient-screen", "")
}

// build builds pkg of the module at root into out, with env added.
func build(ctx context.Context, root, out, pkg, env string) error {
	linked := out + ".linked"
	cmd := exec.CommandContext(ctx, "go", "build", "-o", linked, pkg)
	cmd.Dir = root
	if env != "" {
		cmd.Env = append(os.Environ(), env)
	}
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, strings.TrimSpace(string(msg)))
	}
	return install(linked, out)
}

// install copies a binary the way installers write one (dpkg, NSIS and
// msiexec use ordinary writes). The linker writes its output through
// mmap, and Linux 6.x then caches that file in 2 MB folios which it maps
// whole into every process running it: an agent run straight from the
// linker's file has 1.5-2 MB more of its executable resident than the
// same agent installed, which would skew every RSS the tests measure.
func install(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	// Plain reads and writes, as installers do (no copy_file_range).
	if _, err := io.Copy(struct{ io.Writer }{dst}, src); err != nil {
		dst.Close()
		return fmt.Errorf("install %s: %w", to, err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("install %s: %w", to, err)
	}
	return os.Remove(from)
}
