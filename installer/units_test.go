package installer

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// awkwardPaths have spaces, systemd specifiers and variables, XML
// specials; plistPaths add quotes and backslashes, which systemd refuses
// in a program's path.
var (
	awkwardPaths = []string{
		"/opt/bpclient/bpclient",
		"/home/ann/My Apps/bpclient",
		"/tmp/100%/x$HOME/bpclient",
		"/tmp/a&b<c>/bpclient",
	}
	plistPaths = append([]string{`/tmp/quote"and\back/bpclient`, "/tmp/it's/bpclient"}, awkwardPaths...)
)

func TestSystemdUnitContents(t *testing.T) {
	unit, err := systemdUnit("/opt/bpclient/bpclient")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\n[Unit]\n",
		"\nConditionFileIsExecutable=/opt/bpclient/bpclient\n",
		"\n[Service]\n",
		"\nExecStart=\"/opt/bpclient/bpclient\" agent\n",
		"\nRestart=on-abnormal\n",
		"\n[Install]\nWantedBy=default.target\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q:\n%s", want, unit)
		}
	}
	if strings.Contains(unit, "multi-user.target") {
		t.Error("a user unit must not name multi-user.target")
	}
}

func TestSystemdUnitRoundTrip(t *testing.T) {
	for _, p := range awkwardPaths {
		unit, err := systemdUnit(p)
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		prog, args, err := unitExecStart(unit)
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		if prog != p || !reflect.DeepEqual(args, []string{"agent"}) {
			t.Errorf("%q: ExecStart reads back as %q %q", p, prog, args)
		}
	}
	for _, bad := range []string{"", "relative/bpclient", "/tmp/new\nline", "/tmp/tab\t", `/tmp/q"/bpclient`, `/tmp/b\/bpclient`, "/tmp/it's/bpclient"} {
		if _, err := systemdUnit(bad); err == nil {
			t.Errorf("systemdUnit(%q) accepted", bad)
		}
	}
}

// TestSystemdAnalyzeVerify has systemd check the rendered unit, with
// awkward agent paths, where systemd-analyze runs (not as a service
// manager: it only needs a runtime folder).
func TestSystemdAnalyzeVerify(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("systemd is Linux only")
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze not installed")
	}
	dir := t.TempDir()
	rt := filepath.Join(dir, "run")
	if err := os.Mkdir(rt, 0o700); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range awkwardPaths {
		agent := filepath.Join(dir, strings.TrimPrefix(p, "/"))
		if err := os.MkdirAll(filepath.Dir(agent), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(agent, data, 0o755); err != nil {
			t.Fatal(err)
		}
		unit, err := systemdUnit(agent)
		if err != nil {
			t.Fatal(err)
		}
		unitDir := filepath.Join(dir, "units", string(rune('a'+i)))
		if err := os.MkdirAll(unitDir, 0o755); err != nil {
			t.Fatal(err)
		}
		unitPath := filepath.Join(unitDir, UnitName)
		if err := os.WriteFile(unitPath, []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("systemd-analyze", "--user", "verify", unitPath)
		cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+rt, "HOME="+dir, "SYSTEMD_LOG_LEVEL=notice")
		out, err := cmd.CombinedOutput()
		if err != nil && strings.Contains(string(out), "Failed to initialize manager") {
			t.Skipf("systemd-analyze cannot run here: %s", out)
		}
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("%q: systemd-analyze verify: %v\n%s\n%s", agent, err, out, unit)
		}
	}
}

func TestLaunchdPlist(t *testing.T) {
	for _, p := range plistPaths {
		text, err := launchdPlist(p)
		if err != nil {
			t.Fatal(err)
		}
		label, args, err := plistProgram([]byte(text))
		if err != nil {
			t.Fatalf("%q: %v\n%s", p, err, text)
		}
		if label != LaunchdLabel || !reflect.DeepEqual(args, []string{p, "agent"}) {
			t.Errorf("%q: read back label %q args %q", p, label, args)
		}
	}
	text, _ := launchdPlist("/Applications/BPClient.app/Contents/MacOS/bpclient")
	for _, want := range []string{
		"<key>RunAtLoad</key>\n\t<true/>",
		"<key>Crashed</key>\n\t\t<true/>",
		"<key>LimitLoadToSessionType</key>\n\t<string>Aqua</string>",
		"<key>ProcessType</key>\n\t<string>Interactive</string>",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plist lacks %q", want)
		}
	}
	if _, _, err := plistProgram([]byte("<plist><dict></dict></plist>")); err == nil {
		t.Error("plist without Label accepted")
	}
	if _, _, err := plistProgram([]byte("<plist><dict>")); err == nil {
		t.Error("truncated plist accepted")
	}
	if _, err := launchdPlist("relative"); err == nil {
		t.Error("relative agent path accepted")
	}
}

func TestWindowsRunCommand(t *testing.T) {
	for _, p := range []string{`C:\Users\ann\AppData\Local\Programs\BPClient\bpclient.exe`, `C:\Program Files\BPClient\bpclient.exe`} {
		cmd := windowsRunCommand(p)
		if want := `"` + p + `" agent`; cmd != want {
			t.Errorf("windowsRunCommand(%q) = %q, want %q", p, cmd, want)
		}
		prog, args, err := runCommandProgram(cmd)
		if err != nil || prog != p || !reflect.DeepEqual(args, []string{"agent"}) {
			t.Errorf("runCommandProgram(%q) = %q %q %v", cmd, prog, args, err)
		}
	}
	if prog, args, err := runCommandProgram(`C:\bp\bpclient.exe agent`); err != nil || prog != `C:\bp\bpclient.exe` || len(args) != 1 {
		t.Errorf("unquoted: %q %q %v", prog, args, err)
	}
	for _, bad := range []string{"", `"C:\unbalanced agent`} {
		if _, _, err := runCommandProgram(bad); err == nil {
			t.Errorf("runCommandProgram(%q) accepted", bad)
		}
	}
}

func TestSplitQuoted(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`"/a b/c" agent`, []string{"/a b/c", "agent"}},
		{`/bin/x  y`, []string{"/bin/x", "y"}},
		{`"a\"b\\c"`, []string{`a"b\c`}},
		{``, nil},
	} {
		got, err := splitQuoted(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitQuoted(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := splitQuoted(`"open`); err == nil {
		t.Error("unbalanced quote accepted")
	}
}
