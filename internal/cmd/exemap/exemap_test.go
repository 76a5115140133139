//go:build linux

package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPackageOf(t *testing.T) {
	for _, c := range []struct{ sym, pkg string }{
		{"runtime.mallocgc", "runtime"},
		{"github.com/openbpclient/bpclient/sip.(*Call).Hangup", "github.com/openbpclient/bpclient/sip"},
		{"github.com/pion/webrtc/v4.(*PeerConnection).Close.func1", "github.com/pion/webrtc/v4"},
		{"slices.SortFunc[go.shape.[]string,go.shape.struct { a/b.x int }]", "slices"},
		{"type:*github.com/emiago/sipgo/sip.Request", "github.com/emiago/sipgo/sip"},
		{"type:.eq.crypto/tls.Config", "crypto/tls"},
		{"go:itab.*os.File,io.Writer", "os"},
		{"go:string.*", ""},
		{"opus_encode", ""},
	} {
		if got := packageOf(c.sym); got != c.pkg {
			t.Errorf("packageOf(%q) = %q, want %q", c.sym, got, c.pkg)
		}
	}
}

func TestOriginOf(t *testing.T) {
	for _, c := range []struct{ pkg, origin string }{
		{"runtime", "[standard library]"},
		{"crypto/internal/fips140/nistec", "[standard library]"},
		{"github.com/openbpclient/bpclient", "[ours]"},
		{"github.com/openbpclient/bpclient/sip/media", "[ours]"},
		{"github.com/openbpclient/bpclientx/a", "github.com/openbpclient/bpclientx"},
		{"github.com/emiago/sipgo/sip", "github.com/emiago/sipgo"},
		{"github.com/pion/dtls/v3/pkg/crypto/prf", "github.com/pion/dtls/v3"},
		{"github.com/jezek/xgb/xproto", "github.com/jezek/xgb"},
		{"github.com/godbus/dbus/v5", "github.com/godbus/dbus/v5"},
		{"golang.org/x/net/ipv4", "golang.org/x/net"},
		{"gopkg.in/natefinch/lumberjack.v2", "gopkg.in/natefinch/lumberjack.v2"},
		{"gopkg.in/yaml.v3", "gopkg.in/yaml.v3"},
		{"howett.net/plist", "howett.net/plist"},
		{"[Go type descriptors]", "[Go type descriptors]"},
	} {
		if got := originOf(c.pkg); got != c.origin {
			t.Errorf("originOf(%q) = %q, want %q", c.pkg, got, c.origin)
		}
	}
}

// TestResidentOfItself builds exemap with its symbols (go test's own
// binary has none) and maps the exemap process: the runtime's code and
// pclntab are resident, what is attributed of a section is no more than
// is resident, and another program's symbols are refused.
func TestResidentOfItself(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "exemap")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.CommandContext(ctx, bin, "-top", "5").CombinedOutput()
	if err != nil {
		t.Fatalf("exemap: %v\n%s", err, out)
	}
	cells := map[string][]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, "|"); len(f) > 3 {
			for i := range f {
				f[i] = strings.Trim(strings.TrimSpace(f[i]), "*")
			}
			cells[f[1]] = f[2 : len(f)-1]
		}
	}
	num := func(row string, col int) int {
		if len(cells[row]) <= col {
			t.Fatalf("no column %d in row %q:\n%s", col, row, out)
		}
		n, err := strconv.Atoi(cells[row][col])
		if err != nil {
			t.Fatalf("row %q: %v\n%s", row, err, out)
		}
		return n
	}
	if num("runtime", 0) == 0 || num("runtime", 1) == 0 {
		t.Errorf("no resident .text or .gopclntab of the runtime:\n%s", out)
	}
	for col, sec := range []string{secText, secPclntab, secRodata} {
		if a, r := num("attributed", col), num(sec, 0); a > r+1 || r > num(sec, 1) {
			t.Errorf("%s: %d kB attributed, %d resident, of %d:\n%s", sec, a, r, num(sec, 1), out)
		}
	}
	if out, err := exec.CommandContext(ctx, bin, "-sym", "/bin/sh").CombinedOutput(); err == nil || !strings.Contains(string(out), "not a build") {
		t.Errorf("/bin/sh's symbols taken for exemap's: %v\n%s", err, out)
	}
}
