package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/helper/doctor"
)

// bpclient doctor in an isolated home where Chromium is used and the
// helper was never installed: the manifest check fails, the exit status
// says so, and --json is the report.
func TestDoctorCommand(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the isolated home is set up the Linux way")
	}
	dir := t.TempDir()
	for k, v := range map[string]string{
		"HOME":            filepath.Join(dir, "h"),
		"XDG_CONFIG_HOME": filepath.Join(dir, "h", ".config"),
		"XDG_STATE_HOME":  filepath.Join(dir, "h", ".local", "state"),
		"XDG_RUNTIME_DIR": filepath.Join(dir, "run"),
	} {
		t.Setenv(k, v)
		os.MkdirAll(v, 0o700)
	}
	os.MkdirAll(filepath.Join(dir, "h", ".config", "chromium"), 0o700)

	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"doctor", "--json", "--browsers", "chromium"}, Env{Stdout: &out, Stderr: &errb})
	if code != exitChecksFailed || !strings.Contains(errb.String(), "checks failed") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	var rep doctor.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	r, ok := rep.Find("install.manifest.chromium")
	if !ok || r.Status != doctor.Failed || r.Fix == "" || !strings.HasPrefix(r.Where, dir) {
		t.Errorf("chromium check %+v", r)
	}
	if a, _ := rep.Find("install.agent"); a.Status != doctor.Warning {
		t.Errorf("agent check with no agent: %+v", a)
	}

	out.Reset()
	Run(context.Background(), []string{"doctor", "--browsers", "chromium"}, Env{Stdout: &out, Stderr: &errb})
	if !strings.Contains(out.String(), "FAILED   Chromium can start the helper") || !strings.Contains(out.String(), "Fix: Reinstall BPClient") {
		t.Errorf("text:\n%s", out.String())
	}
}
