//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/version"
)

// TestDoctorHostOlderThanAgent: a page connects through this release's
// bpclient-host, then through one built as an older release (an update
// that replaced the agent and not the host): `bpclient doctor` finds the
// host the agent saw last, ok and then a warning naming both versions.
func TestDoctorHostOlderThanAgent(t *testing.T) {
	bins := binaries(t)
	root := t.TempDir()
	const oldVersion = "0.0.1"
	old := filepath.Join(root, "old", "bpclient-host")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", old,
		"-ldflags", "-X github.com/openbpclient/bpclient/version.Version="+oldVersion, "./cmd/bpclient-host")
	build.Dir, build.Env = bins.Source, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the old host: %v\n%s", err, out)
	}
	env, err := browsertest.NewEnv(filepath.Join(root, "e"))
	if err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WriteUserPolicy(env, browsertest.AllowedDomain); err != nil {
		t.Fatal(err)
	}
	agent, err := browsertest.StartAgent(ctx, bins, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Stop() })

	check := func() doctor.Result {
		t.Helper()
		var rep doctor.Report
		if err := json.Unmarshal([]byte(runDoctor(t, bins, env)), &rep); err != nil {
			t.Fatal(err)
		}
		r, ok := rep.Find("install.hostVersion")
		if !ok {
			t.Fatalf("no install.hostVersion check")
		}
		return r
	}
	connect := func(host string) {
		t.Helper()
		page := startFramePage(t, filepath.Dir(host), env.Environ(), host, "chrome-extension://"+nativemsg.ExtensionID+"/")
		page.call(t, "helper.hello", map[string]string{"client": "hostversion-test", "pageOrigin": "https://" + browsertest.AllowedDomain}, nil)
		page.close()
	}

	connect(bins.Host)
	if r := check(); r.Status != doctor.OK || !strings.Contains(r.Found, version.Version) {
		t.Errorf("after this release's host: %+v", r)
	}
	connect(old)
	r := check()
	if r.Status != doctor.Warning || !strings.Contains(r.Found, oldVersion) || !strings.Contains(r.Found, "older than the helper's "+version.Version) ||
		!strings.Contains(r.Fix, "Reinstall BPClient") {
		t.Errorf("after the old host: %+v", r)
	}
}
