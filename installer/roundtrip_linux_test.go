package installer_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/installer"
	"github.com/openbpclient/bpclient/nativemsg"
)

// TestRoundTripWithRealBinaries builds bpclient and bpclient-host and runs
// install → status → uninstall → status in a temporary HOME, as a user
// would, with a real agent running in between.
func TestRoundTripWithRealBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command(goTool, "build", "-o", bin+"/",
		"github.com/openbpclient/bpclient/cmd/bpclient",
		"github.com/openbpclient/bpclient/cmd/bpclient-host")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bpclient := filepath.Join(bin, "bpclient")
	host := filepath.Join(bin, "bpclient-host")

	home := filepath.Join(tmp, "home")
	runtimeDir := filepath.Join(tmp, "run")
	for _, d := range []string{filepath.Join(home, ".config"), runtimeDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_RUNTIME_DIR=" + runtimeDir,
		"XDG_STATE_HOME=" + filepath.Join(tmp, "state"), // the agent's log, outside HOME
	}
	run := func(wantCode int, args ...string) string {
		t.Helper()
		cmd := exec.Command(bpclient, args...)
		cmd.Env = env
		cmd.Dir = tmp
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("bpclient %q: %v", args, err)
		}
		if code != wantCode {
			t.Fatalf("bpclient %q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, wantCode, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	status := func() installer.Status {
		t.Helper()
		var st installer.Status
		out := run(0, "status", "--json")
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("status --json: %v\n%s", err, out)
		}
		return st
	}

	empty := installer.Snapshot(t, home)

	// Install, twice: the second changes nothing.
	out := run(0, "install", "--extension-id", "globmenbfjbjogcaljnhjmdhogoajckd")
	if !strings.Contains(out, "user manager not reachable") {
		t.Errorf("install does not say why the agent was not started:\n%s", out)
	}
	installed := installer.Snapshot(t, home)
	out = run(0, "install", "--extension-id", "globmenbfjbjogcaljnhjmdhogoajckd", "--json")
	var rep installer.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("install --json: %v\n%s", err, out)
	}
	for _, s := range rep.Steps {
		if s.Action != installer.ActionUnchanged && s.Action != installer.ActionSkipped {
			t.Errorf("second install: %+v", s)
		}
	}
	if again := installer.Snapshot(t, home); !reflect.DeepEqual(installed, again) {
		t.Errorf("second install changed files:\n%v\n%v", installed, again)
	}

	// What install wrote.
	for _, b := range nativemsg.AllBrowsers() {
		loc, err := nativemsg.ManifestLocation("linux", b, func(k string) string {
			return map[string]string{"HOME": home}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(loc.File)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		m, err := nativemsg.ParseManifest(data)
		if err != nil {
			t.Fatal(err)
		}
		if m.Path != host || m.Validate(b.Family()) != nil {
			t.Errorf("%s: %+v", b, m)
		}
		if b.Family() == nativemsg.FamilyChromium && !reflect.DeepEqual(m.AllowedOrigins, []string{
			"chrome-extension://ohcdnckkmmffiobblhcjgmealjgpgeen/",
			"chrome-extension://globmenbfjbjogcaljnhjmdhogoajckd/",
		}) {
			t.Errorf("%s: allowed_origins %q", b, m.AllowedOrigins)
		}
		if b == nativemsg.Firefox && !reflect.DeepEqual(m.AllowedExtensions, []string{"bpclient@openbpclient.org"}) {
			t.Errorf("firefox: allowed_extensions %q", m.AllowedExtensions)
		}
	}
	unitPath := filepath.Join(home, ".config/systemd/user/bpclient.service")
	unit, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`ExecStart="` + bpclient + `" agent`, "WantedBy=default.target"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %q:\n%s", want, unit)
		}
	}
	if target, err := os.Readlink(filepath.Join(home, ".config/systemd/user/default.target.wants/bpclient.service")); err != nil || target != unitPath {
		t.Errorf("wants link -> %q, %v", target, err)
	}

	st := status()
	for _, m := range st.Manifests {
		if !m.Valid {
			t.Errorf("status after install: %+v", m)
		}
	}
	if a := st.Autostart; !a.Installed || !a.Enabled || !a.Valid || !strings.Contains(a.Manager, "not reachable") {
		t.Errorf("autostart after install: %+v", a)
	}
	if st.Agent.Running {
		t.Errorf("agent reported running: %+v", st.Agent)
	}
	text := run(0, "status")
	for _, want := range []string{"chrome    ok", "firefox   ok", "autostart: enabled", "agent: not running"} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}

	// With an agent running, status asks it, and uninstall stops it.
	agent := exec.Command(bpclient, "agent")
	agent.Env = env
	agent.Dir = tmp
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed when the agent has exited
	go func() { agent.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			agent.Process.Kill()
			<-exited
		}
	})
	waitForSocket(t, filepath.Join(runtimeDir, "bpclient", "agent.sock"))
	st = status()
	if !st.Agent.Running || st.Agent.PID != agent.Process.Pid || st.Agent.Version == "" {
		t.Errorf("agent status: %+v (pid %d)", st.Agent, agent.Process.Pid)
	}

	out = run(0, "uninstall")
	if !strings.Contains(out, "agent") || !strings.Contains(out, "stopped") {
		t.Errorf("uninstall did not stop the agent:\n%s", out)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Error("the agent still runs after uninstall")
	}
	if left := installer.Snapshot(t, home); !reflect.DeepEqual(left, empty) {
		t.Errorf("uninstall left behind:\n%v", left)
	}
	out = run(0, "uninstall")
	if strings.Contains(out, "removed") {
		t.Errorf("second uninstall removed something:\n%s", out)
	}
	st = status()
	for _, m := range st.Manifests {
		if m.Present {
			t.Errorf("after uninstall: %+v", m)
		}
	}
	if st.Autostart.Installed {
		t.Errorf("after uninstall: %+v", st.Autostart)
	}

	// Usage mistakes exit 2 and write nothing.
	run(2, "install", "--browsers", "opera")
	run(2, "install", "extra-arg")
	if left := installer.Snapshot(t, home); !reflect.DeepEqual(left, empty) {
		t.Errorf("a refused install wrote:\n%v", left)
	}
}

func waitForSocket(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no agent at %s", path)
}
