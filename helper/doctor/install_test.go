package doctor

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/installer"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/version"
)

// Each failure of "installed but the page still warns" is made for real
// in an isolated home: the manifest bpclient install writes, then removed,
// corrupted, pointed at a missing program, at a program that is not the
// host, and stripped of our extension.
func TestManifestCheckFailures(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the layout under test is Linux's; other OSes' data is tested in TestManifestCheckWindowsRegistry")
	}
	host := realHost(t)
	roots, dir := testRoots(t)
	ctx := context.Background()
	in, err := installer.New(installer.WithEnv(roots.Getenv), installer.WithRunner(func(context.Context, string, ...string) ([]byte, error) { return nil, nil }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Install(ctx, installer.InstallOptions{HostPath: host, NoAutostart: true, Browsers: []nativemsg.Browser{nativemsg.Chromium, nativemsg.Firefox}}); err != nil {
		t.Fatal(err)
	}
	loc, err := nativemsg.ManifestLocation("linux", nativemsg.Chromium, roots.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(loc.File)
	if err != nil {
		t.Fatal(err)
	}
	mustMkdir(t, roots.userData(nativemsg.Chromium)) // Chromium is used here
	check := ManifestChecks(roots, []nativemsg.Browser{nativemsg.Chromium, nativemsg.Firefox, nativemsg.Edge}, nil)
	run := func() []Result { return check(ctx, View{Local: true}) }

	rs := run()
	wantResult(t, only(t, rs, "install.manifest.chromium"), OK, "helper program answers", "")
	if w := only(t, rs, "install.manifest.chromium").Where; w != loc.File {
		t.Errorf("where %q, want %q", w, loc.File)
	}
	wantResult(t, only(t, rs, "install.manifest.firefox"), OK, "has not been used on this account; its manifest is ready", "")
	wantResult(t, only(t, rs, "install.manifest.edge"), OK, "not used on this account and has no helper manifest", "")

	fix := "Reinstall BPClient, then close and reopen Chromium."
	cases := []struct {
		name, manifest, found string
		remove                bool
	}{
		{name: "removed", remove: true, found: "manifest is missing"},
		{name: "corrupt", manifest: `{"name": "org.openbpclient.bpclient", "path": `, found: "damaged (not valid JSON)"},
		{name: "missing binary", manifest: replacePath(t, good, filepath.Join(dir, "gone", "bpclient-host")), found: "program the manifest points to is missing"},
		{name: "not the host", manifest: replacePath(t, good, "/bin/true"), found: "does not answer as bpclient-host"},
		{name: "other extension", manifest: `{"name":"org.openbpclient.bpclient","description":"x","path":"` + host + `","type":"stdio","allowed_origins":["chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"]}`, found: "does not admit the BPClient extension " + nativemsg.ExtensionID},
		{name: "other host", manifest: `{"name":"com.example.other","description":"x","path":"` + host + `","type":"stdio","allowed_origins":["chrome-extension://` + nativemsg.ExtensionID + `/"]}`, found: `names host "com.example.other"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.remove {
				os.Remove(loc.File)
			} else {
				mustWrite(t, loc.File, c.manifest)
			}
			t.Cleanup(func() { mustWrite(t, loc.File, string(good)) })
			wantResult(t, only(t, run(), "install.manifest.chromium"), Failed, c.found, fix)
		})
	}

	// A page sees what is wrong, but not the paths the manifest names.
	mustWrite(t, loc.File, replacePath(t, good, "relative/secret-folder/bpclient-host"))
	local, page := only(t, run(), "install.manifest.chromium"), only(t, New(nil, check).Run(ctx, View{Origin: "https://a.test"}).Checks, "install.manifest.chromium")
	wantResult(t, local, Failed, `manifest is not valid: path "relative/secret-folder/bpclient-host" is not absolute`, fix)
	wantResult(t, page, Failed, "manifest is not valid", fix)
	if strings.Contains(page.Found+page.Where, "secret-folder") || strings.Contains(page.Found+page.Where, dir) {
		t.Errorf("a page's view names paths: %+v", page)
	}
	mustWrite(t, loc.File, string(good))

	// A host of another release than this BPClient: the browser starts
	// an old relay (an update that replaced one binary of two).
	other, err := buildHost(filepath.Join(dir, "old", "bpclient-host"), "-ldflags", "-X github.com/openbpclient/bpclient/version.Version=0.0.9")
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, loc.File, replacePath(t, good, other))
	wantResult(t, only(t, run(), "install.manifest.chromium"), Warning, "the helper program the browser starts is 0.0.9, but BPClient "+version.Version+" is installed", fix)
	mustWrite(t, loc.File, string(good))

	// The same breakage in a browser not used here is a warning.
	ff, _ := nativemsg.ManifestLocation("linux", nativemsg.Firefox, roots.Getenv)
	mustWrite(t, ff.File, "not json")
	wantResult(t, only(t, run(), "install.manifest.firefox"), Warning, "damaged", "reopen Firefox")
}

func replacePath(t *testing.T, manifest []byte, path string) string {
	t.Helper()
	m, err := nativemsg.ParseManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	m.Path = path
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// fakeRegistry is a map of hive\key\name to values, for the Windows logic.
type fakeRegistry struct {
	strs  map[string]string
	ints  map[string]uint64
	lists map[string][]string
}

func (f fakeRegistry) String(hive, key, name string) (string, bool, error) {
	v, ok := f.strs[hive+`\`+key+`\`+name]
	return v, ok, nil
}

func (f fakeRegistry) Integer(hive, key, name string) (uint64, bool, error) {
	v, ok := f.ints[hive+`\`+key+`\`+name]
	return v, ok, nil
}

func (f fakeRegistry) Strings(hive, key string) ([]string, bool, error) {
	v, ok := f.lists[hive+`\`+key]
	return v, ok, nil
}

// On Windows the browser reads the manifest's path from the registry:
// the check follows the key, not the file install would write.
func TestManifestCheckWindowsRegistry(t *testing.T) {
	host := realHost(t)
	dir := t.TempDir()
	env := map[string]string{"LOCALAPPDATA": `C:\Users\agent\AppData\Local`}
	reg := fakeRegistry{strs: map[string]string{}}
	roots := Roots{GOOS: "windows", Getenv: func(k string) string { return env[k] }, Registry: reg}
	key := `HKCU\Software\Google\Chrome\NativeMessagingHosts\` + nativemsg.HostName + `\`
	check := ManifestChecks(roots, []nativemsg.Browser{nativemsg.Chrome}, func(_ context.Context, p string) error { return RunHost(context.Background(), p) })
	run := func() Result {
		return only(t, check(context.Background(), View{Local: true}), "install.manifest.chrome")
	}

	wantResult(t, run(), OK, "not registered with it", "")

	reg.strs[key] = filepath.Join(dir, "missing.json")
	wantResult(t, run(), Warning, "registry names a helper manifest that does not exist", "reopen Google Chrome")

	m, err := nativemsg.NewManifest(nativemsg.FamilyChromium, host, []string{nativemsg.ExtensionID})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := m.Marshal()
	mustWrite(t, filepath.Join(dir, "chrome.json"), string(data))
	reg.strs[key] = filepath.Join(dir, "chrome.json")
	r := run()
	wantResult(t, r, OK, "manifest is ready", "")
	if want := `HKCU\Software\Google\Chrome\NativeMessagingHosts\` + nativemsg.HostName + " -> " + filepath.Join(dir, "chrome.json"); r.Where != want {
		t.Errorf("where %q, want %q", r.Where, want)
	}

	roots.Registry = nil
	check = ManifestChecks(roots, []nativemsg.Browser{nativemsg.Chrome}, nil)
	wantResult(t, run(), Warning, "cannot be read here", "Reinstall")
}

func TestAgentCheck(t *testing.T) {
	cases := []struct {
		st     installer.AgentStatus
		status Status
		found  string
	}{
		{installer.AgentStatus{Running: true, Version: version.Version}, OK, "answers (version " + version.Version},
		{installer.AgentStatus{Running: true, Version: "0.0.1"}, Warning, "running helper is version 0.0.1"},
		{installer.AgentStatus{Error: "nothing answers at x"}, Warning, "not running now"},
		{installer.AgentStatus{Error: "the endpoint belongs to another user"}, Failed, "another account"},
	}
	for _, c := range cases {
		r := AgentCheck(func(context.Context) installer.AgentStatus { return c.st })(context.Background(), View{})[0]
		wantResult(t, r, c.status, c.found, "")
	}
	r := AgentCheck(SelfAgent)(context.Background(), View{})[0]
	wantResult(t, r, OK, version.Version, "")
}

// The start at login as the Linux installer writes it and breaks it.
func TestAutostartCheck(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("systemd user units are Linux's")
	}
	roots, dir := testRoots(t)
	probe := InstallerAutostart(roots)
	check := AutostartCheck(probe)
	run := func(v View) Result { return check(context.Background(), v)[0] }
	wantResult(t, run(View{Local: true}), Warning, "not set to start when you sign in", "Reinstall BPClient.")

	in, err := installer.New(installer.WithEnv(roots.Getenv), installer.WithRunner(func(context.Context, string, ...string) ([]byte, error) { return nil, nil }))
	if err != nil {
		t.Fatal(err)
	}
	agentBin := realHost(t) // any executable serves as the unit's program
	if _, err := in.Install(context.Background(), installer.InstallOptions{HostPath: agentBin, AgentPath: agentBin, Browsers: []nativemsg.Browser{nativemsg.Chromium}}); err != nil {
		t.Fatal(err)
	}
	wantResult(t, run(View{Local: true}), OK, "starts when you sign in", "")

	// Break it: the unit's program is gone.
	unit := run(View{Local: true}).Where
	data, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(dir, "moved-away")
	mustWrite(t, unit, strings.ReplaceAll(string(data), agentBin, moved))
	r := run(View{Local: true})
	wantResult(t, r, Failed, "start at sign-in is broken: ", "Reinstall BPClient.")
	if p := run(View{}); p.Found != "the helper's start at sign-in is broken" {
		t.Errorf("a page's view names the problem: %q", p.Found)
	}
}
