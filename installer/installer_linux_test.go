package installer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/openbpclient/bpclient/nativemsg"
)

const otherID = "globmenbfjbjogcaljnhjmdhogoajckd"

// rig is an Installer in a temporary HOME, with a fake runner and agent.
type rig struct {
	t     *testing.T
	home  string
	env   map[string]string
	host  string // a bpclient-host stand-in
	agent string // a bpclient stand-in
	in    *Installer

	mu    sync.Mutex
	calls []string
	fail  map[string]error // "systemctl --user is-active ..." -> error

	running bool  // what the fake agent says
	stopErr error // what its Stop returns
	stops   int
}

func newRig(t *testing.T, extraEnv ...string) *rig {
	t.Helper()
	home := t.TempDir()
	r := &rig{t: t, home: home, env: map[string]string{"HOME": home}, fail: map[string]error{}}
	for i := 0; i+1 < len(extraEnv); i += 2 {
		r.env[extraEnv[i]] = extraEnv[i+1]
	}
	bin := filepath.Join(t.TempDir(), "bin")
	r.host = writeExe(t, filepath.Join(bin, HostBinary))
	r.agent = writeExe(t, filepath.Join(bin, "bpclient"))
	if err := os.Mkdir(filepath.Join(home, ".config"), 0o700); err != nil {
		t.Fatal(err)
	}
	in, err := New(
		WithEnv(func(k string) string { return r.env[k] }),
		WithRunner(r.run),
		WithAgent(fakeAgent{r}),
	)
	if err != nil {
		t.Fatal(err)
	}
	in.homeDir = func() (string, error) { return home, nil }
	r.in = in
	r.setManager(false, "test: no manager")
	return r
}

func writeExe(t *testing.T, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func (r *rig) setManager(ok bool, why string) {
	r.in.autostart.(*systemdUser).managerProbe = func() (bool, string) { return ok, why }
}

func (r *rig) run(_ context.Context, name string, args ...string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	call := name + " " + strings.Join(args, " ")
	r.calls = append(r.calls, call)
	return nil, r.fail[call]
}

func (r *rig) takeCalls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

type fakeAgent struct{ r *rig }

func (a fakeAgent) Status(context.Context) AgentStatus {
	return AgentStatus{Running: a.r.running, Address: "fake"}
}

func (a fakeAgent) Stop(context.Context) error {
	a.r.stops++
	if a.r.stopErr == nil {
		a.r.running = false
	}
	return a.r.stopErr
}

func (r *rig) install(o InstallOptions) *Report {
	r.t.Helper()
	if o.HostPath == "" {
		o.HostPath = r.host
	}
	if o.AgentPath == "" {
		o.AgentPath = r.agent
	}
	rep, err := r.in.Install(context.Background(), o)
	if err != nil {
		r.t.Fatalf("Install: %v", err)
	}
	return rep
}

func (r *rig) uninstall(o UninstallOptions) *Report {
	r.t.Helper()
	rep, err := r.in.Uninstall(context.Background(), o)
	if err != nil {
		r.t.Fatalf("Uninstall: %v", err)
	}
	return rep
}

func (r *rig) status() *Status {
	r.t.Helper()
	st, err := r.in.Status(context.Background(), nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

func manifestPaths(home, config string) map[nativemsg.Browser]string {
	const name = "/NativeMessagingHosts/org.openbpclient.bpclient.json"
	return map[nativemsg.Browser]string{
		nativemsg.Chrome:   config + "/google-chrome" + name,
		nativemsg.Chromium: config + "/chromium" + name,
		nativemsg.Edge:     config + "/microsoft-edge" + name,
		nativemsg.Brave:    config + "/BraveSoftware/Brave-Browser" + name,
		nativemsg.Vivaldi:  config + "/vivaldi" + name,
		nativemsg.Firefox:  home + "/.mozilla/native-messaging-hosts/org.openbpclient.bpclient.json",
	}
}

func TestInstallWritesEveryBrowser(t *testing.T) {
	r := newRig(t)
	rep := r.install(InstallOptions{ExtensionIDs: []string{otherID}})

	for b, path := range manifestPaths(r.home, r.home+"/.config") {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v", b, err)
			continue
		}
		ids := []string{nativemsg.ExtensionID, otherID}
		if b == nativemsg.Firefox {
			ids = []string{nativemsg.AddonID}
		}
		want, _ := nativemsg.NewManifest(b.Family(), r.host, ids)
		wantData, _ := want.Marshal()
		if string(data) != string(wantData) {
			t.Errorf("%s manifest:\n%s\nwant:\n%s", b, data, wantData)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v", b, fi.Mode())
		}
		// Folders we create may become the browser's profile: private.
		if fi, _ := os.Stat(filepath.Dir(filepath.Dir(path))); fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: folder %s has mode %v", b, filepath.Dir(filepath.Dir(path)), fi.Mode())
		}
	}

	unit := r.home + "/.config/systemd/user/bpclient.service"
	data, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := systemdUnit(r.agent)
	if string(data) != want {
		t.Errorf("unit:\n%s\nwant:\n%s", data, want)
	}
	link := r.home + "/.config/systemd/user/default.target.wants/bpclient.service"
	if target, err := os.Readlink(link); err != nil || target != unit {
		t.Errorf("wants link -> %q, %v; want %q", target, err, unit)
	}

	for _, s := range rep.Steps {
		if s.What == "autostart start" {
			if s.Action != ActionSkipped || !strings.Contains(s.Note, "user manager not reachable") {
				t.Errorf("start step = %+v", s)
			}
			continue
		}
		if s.Action != ActionWritten {
			t.Errorf("first install: step %+v, want written", s)
		}
	}
	if calls := r.takeCalls(); len(calls) != 0 {
		t.Errorf("no manager, yet ran %q", calls)
	}

	st := r.status()
	for _, m := range st.Manifests {
		if !m.Present || !m.Valid || m.Problem != "" || m.HostPath != r.host {
			t.Errorf("status %+v", m)
		}
	}
	if a := st.Autostart; !a.Installed || !a.Enabled || !a.Valid || a.Command != r.agent+" agent" {
		t.Errorf("autostart status %+v", a)
	}
	if !st.Healthy(true) {
		t.Error("not healthy after install")
	}
}

func TestInstallIsIdempotent(t *testing.T) {
	r := newRig(t)
	r.install(InstallOptions{})
	before := Snapshot(t, r.home)
	rep := r.install(InstallOptions{})
	for _, s := range rep.Steps {
		if s.Action != ActionUnchanged && s.Action != ActionSkipped {
			t.Errorf("second install: step %+v", s)
		}
	}
	if after := Snapshot(t, r.home); !reflect.DeepEqual(before, after) {
		t.Errorf("second install changed the tree:\n%v\n%v", before, after)
	}
	// A moved host is picked up by installing again.
	moved := writeExe(t, filepath.Join(t.TempDir(), HostBinary))
	r.install(InstallOptions{HostPath: moved})
	for _, m := range r.status().Manifests {
		if m.HostPath != moved || !m.Valid {
			t.Errorf("after a move: %+v", m)
		}
	}
}

func TestInstallFollowsXDGConfigHome(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "cfg")
	r := newRig(t, "XDG_CONFIG_HOME", cfg)
	r.install(InstallOptions{})
	for b, path := range manifestPaths(r.home, cfg) {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
	if _, err := os.Stat(cfg + "/systemd/user/bpclient.service"); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(r.home + "/.config/google-chrome"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("wrote under ~/.config despite XDG_CONFIG_HOME: %v", err)
	}
	r.uninstall(UninstallOptions{})
	if got := Snapshot(t, cfg); len(got) != 1 { // cfg itself stays
		t.Errorf("left behind in XDG_CONFIG_HOME: %v", got)
	}
}

func TestInstallSomeBrowsers(t *testing.T) {
	r := newRig(t)
	r.install(InstallOptions{Browsers: []nativemsg.Browser{nativemsg.Firefox, nativemsg.Edge}, NoAutostart: true})
	st := r.status()
	for _, m := range st.Manifests {
		want := m.Browser == "firefox" || m.Browser == "edge"
		if m.Valid != want || m.Present != want {
			t.Errorf("%+v", m)
		}
		if !want && m.Problem != "no manifest" {
			t.Errorf("%s: problem %q", m.Browser, m.Problem)
		}
	}
	if st.Autostart.Installed {
		t.Error("--no-autostart installed the unit")
	}
	if _, err := os.Stat(r.home + "/.config/systemd"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--no-autostart touched systemd: %v", err)
	}
}

func TestInstallRefuses(t *testing.T) {
	r := newRig(t)
	before := Snapshot(t, r.home)
	for name, o := range map[string]InstallOptions{
		"missing host":   {HostPath: filepath.Join(r.home, "nope", HostBinary)},
		"host not exec":  {HostPath: writeNonExe(t, filepath.Join(t.TempDir(), HostBinary))},
		"host is folder": {HostPath: t.TempDir()},
		"bad extension":  {ExtensionIDs: []string{"chrome-extension://" + otherID + "/"}},
		"missing agent":  {AgentPath: filepath.Join(r.home, "nope", "bpclient")},
	} {
		if o.HostPath == "" {
			o.HostPath = r.host
		}
		if o.AgentPath == "" {
			o.AgentPath = r.agent
		}
		if _, err := r.in.Install(context.Background(), o); err == nil {
			t.Errorf("%s: Install succeeded", name)
		}
	}
	if after := Snapshot(t, r.home); !reflect.DeepEqual(before, after) {
		t.Errorf("a refused install wrote files: %v", after)
	}
}

func writeNonExe(t *testing.T, path string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestStatusFindsProblems(t *testing.T) {
	r := newRig(t)
	r.install(InstallOptions{NoAutostart: true})
	chrome := manifestPaths(r.home, r.home+"/.config")[nativemsg.Chrome]
	good, err := os.ReadFile(chrome)
	if err != nil {
		t.Fatal(err)
	}
	noExec := writeNonExe(t, filepath.Join(t.TempDir(), HostBinary))
	for _, tc := range []struct {
		name, content, problem string
	}{
		{"not json", "{", "not valid JSON"},
		{"other name", strings.Replace(string(good), nativemsg.HostName, "org.example.other", 1), "names host"},
		{"host gone", strings.Replace(string(good), r.host, "/nonexistent/"+HostBinary, 1), "does not exist"},
		{"host not executable", strings.Replace(string(good), r.host, noExec, 1), "not executable"},
		{"relative host", strings.Replace(string(good), r.host, HostBinary, 1), "not absolute"},
		{"other extension", strings.Replace(string(good), nativemsg.ExtensionID, otherID, 1), "does not admit"},
		{"wrong type", strings.Replace(string(good), `"stdio"`, `"tcp"`, 1), "stdio"},
	} {
		if err := os.WriteFile(chrome, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		m := r.status().Manifests[0]
		if m.Browser != "chrome" || !m.Present || m.Valid || !strings.Contains(m.Problem, tc.problem) {
			t.Errorf("%s: %+v, want problem %q", tc.name, m, tc.problem)
		}
	}
	// Install repairs it.
	r.install(InstallOptions{NoAutostart: true})
	if m := r.status().Manifests[0]; !m.Valid {
		t.Errorf("after repair: %+v", m)
	}

	// A broken unit is reported too.
	r.install(InstallOptions{})
	unit := r.home + "/.config/systemd/user/bpclient.service"
	data, _ := os.ReadFile(unit)
	if err := os.WriteFile(unit, []byte(strings.Replace(string(data), r.agent, "/nonexistent/bpclient", -1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if a := r.status().Autostart; a.Valid || !strings.Contains(a.Problem, "does not exist") {
		t.Errorf("broken unit: %+v", a)
	}
	os.Remove(r.home + "/.config/systemd/user/default.target.wants/bpclient.service")
	if a := r.status().Autostart; a.Enabled {
		t.Errorf("unlinked unit reported enabled: %+v", a)
	}
}

func TestUninstallLeavesNothing(t *testing.T) {
	r := newRig(t)
	// Someone else's files next to ours stay.
	prefs := r.home + "/.config/google-chrome/Default/Preferences"
	if err := os.MkdirAll(filepath.Dir(prefs), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prefs, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := Snapshot(t, r.home)
	r.install(InstallOptions{ExtensionIDs: []string{otherID}})
	rep := r.uninstall(UninstallOptions{})
	for _, s := range rep.Steps {
		if s.Action != ActionRemoved {
			t.Errorf("first uninstall: %+v", s)
		}
	}
	if after := Snapshot(t, r.home); !reflect.DeepEqual(before, after) {
		t.Errorf("uninstall left:\n%v\nwant:\n%v", after, before)
	}
	rep = r.uninstall(UninstallOptions{})
	for _, s := range rep.Steps {
		if s.Action != ActionAbsent {
			t.Errorf("second uninstall: %+v", s)
		}
	}
	st := r.status()
	for _, m := range st.Manifests {
		if m.Present || m.Valid {
			t.Errorf("after uninstall: %+v", m)
		}
	}
	if st.Autostart.Installed {
		t.Errorf("after uninstall: %+v", st.Autostart)
	}
}

func TestUninstallSomeBrowsersKeepsTheRest(t *testing.T) {
	r := newRig(t)
	r.install(InstallOptions{})
	r.uninstall(UninstallOptions{Browsers: []nativemsg.Browser{nativemsg.Chrome}, KeepAutostart: true})
	st := r.status()
	for _, m := range st.Manifests {
		if m.Valid == (m.Browser == "chrome") {
			t.Errorf("%+v", m)
		}
	}
	if !st.Autostart.Installed {
		t.Error("--keep-autostart removed the unit")
	}
}

func TestUninstallStopsTheAgent(t *testing.T) {
	r := newRig(t)
	r.install(InstallOptions{})
	r.running = true
	rep := r.uninstall(UninstallOptions{})
	if r.stops != 1 || r.running {
		t.Errorf("stops = %d, running = %v", r.stops, r.running)
	}
	if last := rep.Steps[len(rep.Steps)-7]; last.What != "agent" || last.Action != ActionStopped {
		t.Errorf("agent step %+v in %+v", last, rep.Steps)
	}

	// An agent that will not stop is a warning, not a failure.
	r.install(InstallOptions{})
	r.running, r.stopErr = true, errors.New("no")
	rep = r.uninstall(UninstallOptions{})
	found := false
	for _, s := range rep.Steps {
		if s.What == "agent" && s.Action == ActionWarning && strings.Contains(s.Note, "still running") {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning in %+v", rep.Steps)
	}

	// --keep-autostart leaves it running.
	r.stopErr, r.stops = nil, 0
	r.uninstall(UninstallOptions{KeepAutostart: true})
	if r.stops != 0 {
		t.Error("--keep-autostart stopped the agent")
	}
}

func TestUserManagerCalls(t *testing.T) {
	r := newRig(t)
	r.setManager(true, "")
	const (
		reload   = "systemctl --user daemon-reload"
		isActive = "systemctl --user is-active --quiet bpclient.service"
		start    = "systemctl --user start bpclient.service"
		restart  = "systemctl --user restart bpclient.service"
		stop     = "systemctl --user stop bpclient.service"
	)
	inactive := errors.New("exit status 3")

	// Fresh install, unit inactive: reload and start.
	r.fail[isActive] = inactive
	r.install(InstallOptions{})
	if got, want := r.takeCalls(), []string{reload, isActive, start}; !reflect.DeepEqual(got, want) {
		t.Errorf("fresh install ran %q, want %q", got, want)
	}
	// Again, unit active and unchanged: nothing to do.
	delete(r.fail, isActive)
	rep := r.install(InstallOptions{})
	if got, want := r.takeCalls(), []string{reload, isActive}; !reflect.DeepEqual(got, want) {
		t.Errorf("repeat install ran %q, want %q", got, want)
	}
	if s := rep.Steps[len(rep.Steps)-1]; s.Action != ActionUnchanged {
		t.Errorf("repeat install: %+v", s)
	}
	// The agent moved: restart the active unit.
	r.install(InstallOptions{AgentPath: writeExe(t, filepath.Join(t.TempDir(), "bpclient"))})
	if got, want := r.takeCalls(), []string{reload, isActive, restart}; !reflect.DeepEqual(got, want) {
		t.Errorf("install after a move ran %q, want %q", got, want)
	}
	// Inactive unit, but an agent runs outside it: do not start a second.
	r.fail[isActive] = inactive
	r.running = true
	rep = r.install(InstallOptions{})
	if got, want := r.takeCalls(), []string{reload, isActive}; !reflect.DeepEqual(got, want) {
		t.Errorf("install beside a running agent ran %q, want %q", got, want)
	}
	if s := rep.Steps[len(rep.Steps)-1]; s.Action != ActionSkipped {
		t.Errorf("install beside a running agent: %+v", s)
	}
	// A failing systemctl is reported.
	r.running = false
	r.fail[start] = errors.New("Failed to start bpclient.service")
	if _, err := r.in.Install(context.Background(), InstallOptions{HostPath: r.host, AgentPath: r.agent}); err == nil || !strings.Contains(err.Error(), "systemctl --user start") {
		t.Errorf("failing start: %v", err)
	}
	r.takeCalls()

	// Uninstall: stop, remove, reload.
	r.uninstall(UninstallOptions{})
	if got, want := r.takeCalls(), []string{stop, reload}; !reflect.DeepEqual(got, want) {
		t.Errorf("uninstall ran %q, want %q", got, want)
	}
	if st := r.status(); st.Autostart.Installed {
		t.Errorf("after uninstall: %+v", st.Autostart)
	}
}

func TestProbeManagerHere(t *testing.T) {
	// The real probe gives a reason whenever it says no.
	r := newRig(t)
	s := &systemdUser{in: r.in}
	if ok, why := s.probeManager(); !ok && why == "" {
		t.Error("no reason given")
	}
	// A HOME that is not the account's never reaches the account's manager.
	r.in.homeDir = func() (string, error) { return "/somewhere/else", nil }
	if ok, why := r.in.isAccountHome(); ok || !strings.Contains(why, "not this account's home") {
		t.Errorf("isAccountHome = %v, %q", ok, why)
	}
}

func TestPruneEmpty(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o700); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(root, "a", "keep")
	if err := os.WriteFile(keep, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pruneEmpty(deep, root)
	if _, err := os.Stat(filepath.Join(root, "a", "b")); !errors.Is(err, os.ErrNotExist) {
		t.Error("empty folders stayed")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Error("removed a folder with a file in it")
	}
	pruneEmpty(root, root) // never the root itself
	pruneEmpty("/", root)  // nor anything outside it
	if _, err := os.Stat(root); err != nil {
		t.Error(err)
	}
	for _, tc := range []struct {
		path, root string
		want       bool
	}{
		{"/a/b", "/a", true}, {"/a", "/a", false}, {"/ab", "/a", false}, {"/", "/a", false}, {"/a/../b", "/a", false},
	} {
		if got := within(filepath.Clean(tc.path), tc.root); got != tc.want {
			t.Errorf("within(%q, %q) = %v", tc.path, tc.root, got)
		}
	}
}
