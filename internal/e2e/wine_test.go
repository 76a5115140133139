//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/testpeers"
)

// The wine side of the Windows end-to-end tests: the release's Windows
// exes, built as scripts/release.sh builds them, and a private wine prefix
// to run them in (scripts/test-release.sh runs wine the same way).

// wineBootGuard bounds wineboot: about 8 s here, much more under load.
const wineBootGuard = 3 * time.Minute

// needWine ends the test (a skip, a failure in CI: testpeers.Missing) and
// returns false unless wine and the mingw-w64 cross-compiler are installed.
func needWine(t testing.TB) bool {
	t.Helper()
	for _, tool := range []string{"wine", "wineboot", "wineserver", "x86_64-w64-mingw32-gcc", "x86_64-w64-mingw32-dlltool"} {
		if _, err := exec.LookPath(tool); err != nil {
			testpeers.Missing(t, tool+" is not installed: scripts/deps-release.sh installs wine and mingw-w64")
			return false
		}
	}
	return true
}

// windowsExes are the release's Windows programs side by side, as the
// installers put them: bpclient.exe (the CLI and the agent the host
// starts), bpclient-agent.exe (the same for the GUI subsystem: the agent
// the HKCU Run key starts at login), bpclient-host.exe and
// bpclient-screen.exe (screen recording and monitoring, which the agent
// starts when a page asks).
type windowsExes struct {
	Dir, Agent, LoginAgent, Host, Screen string
}

// buildWindowsExes builds the agent as scripts/release.sh does (cgo with
// mingw-w64, static PortAudio with MME and WASAPI and libopus, -tags opus,
// WINMM delay-loaded: scripts/windows-agent-env.sh) and the pure-Go host.
// Left out: the version resources (release.sh writes .syso files into the
// source tree for them, which a test must not).
func buildWindowsExes(t *testing.T, dir string) windowsExes {
	t.Helper()
	root, err := browsertest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	envCmd := exec.CommandContext(ctx, "scripts/windows-agent-env.sh", filepath.Join(t.TempDir(), "delayimp"))
	envCmd.Dir = root
	var stderr strings.Builder
	envCmd.Stderr = &stderr
	vars, err := envCmd.Output()
	if err != nil {
		t.Fatalf("scripts/windows-agent-env.sh: %v\n%s", err, stderr.String())
	}
	exes := windowsExes{Dir: dir, Agent: filepath.Join(dir, "bpclient.exe"), LoginAgent: filepath.Join(dir, "bpclient-agent.exe"),
		Host: filepath.Join(dir, "bpclient-host.exe"), Screen: filepath.Join(dir, "bpclient-screen.exe")}
	agentEnv := strings.Split(strings.TrimSpace(string(vars)), "\n")
	// As in release.sh: the release chooses its own flags (scripts/test.sh
	// exports -tags=opus,g729,vpx; the release builds with opus,vpx).
	base := append(os.Environ(), "GOFLAGS=")
	builds := []struct {
		out, pkg string
		env      []string
		args     []string
	}{
		{exes.Agent, "./cmd/bpclient", agentEnv, []string{"-tags", "opus,vpx", "-ldflags", "-s -w -extldflags -static"}},
		{exes.LoginAgent, "./cmd/bpclient", agentEnv, []string{"-tags", "opus,vpx", "-ldflags", "-s -w -H windowsgui -extldflags -static"}},
		{exes.Host, "./cmd/bpclient-host", []string{"CGO_ENABLED=0", "GOOS=windows", "GOARCH=amd64"}, []string{"-ldflags", "-s -w"}},
		{exes.Screen, "./cmd/bpclient-screen", agentEnv, []string{"-tags", "vpx", "-ldflags", "-s -w -H windowsgui -extldflags -static"}},
	}
	for _, b := range builds {
		args := append(append([]string{"build", "-trimpath"}, b.args...), "-o", b.out, b.pkg)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		cmd.Env = append(append([]string{}, base...), b.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return exes
}

// winePrefix is a private 64-bit wine prefix, booted once and shared by
// every subtest. Its wineserver ends every process in it when the test ends.
type winePrefix struct {
	Dir  string // WINEPREFIX
	home string
	// Display, when set, is the X display of the programs run in the
	// prefix (a private Xvfb: the Windows pop-ups' windows).
	Display string
}

// bootWinePrefix creates and boots a prefix under dir, with the test's
// stand-in for the one DLL wine 8 lacks for Go programs
// (packaging/test/processprng.c), which also lets them open UDP sockets
// there (packaging/test/udpnetreset.c).
func bootWinePrefix(t *testing.T, dir string) *winePrefix {
	t.Helper()
	root, err := browsertest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	w := &winePrefix{Dir: filepath.Join(dir, "prefix"), home: filepath.Join(dir, "home")}
	if err := os.MkdirAll(w.home, 0o700); err != nil {
		t.Fatal(err)
	}
	dll := filepath.Join(dir, "bcryptprimitives.dll")
	if out, err := exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-s", "-o", dll,
		filepath.Join(root, "packaging/test/processprng.c"), filepath.Join(root, "packaging/test/udpnetreset.c"),
		"-ladvapi32", "-lws2_32").CombinedOutput(); err != nil {
		t.Fatalf("build bcryptprimitives.dll: %v\n%s", err, out)
	}
	// Registered first, so that it runs even when the boot fails half-way.
	t.Cleanup(func() {
		cmd := exec.Command("wineserver", "-k")
		cmd.Env = w.Env()
		_ = cmd.Run()
	})
	ctx, cancel := context.WithTimeout(context.Background(), wineBootGuard)
	defer cancel()
	start := time.Now()
	boot := exec.CommandContext(ctx, "wineboot", "-i")
	boot.Env = w.Env()
	if out, err := boot.CombinedOutput(); err != nil {
		t.Fatalf("wineboot -i: %v\n%s", err, out)
	}
	t.Logf("wine prefix booted in %v", time.Since(start).Round(time.Millisecond))
	data, err := os.ReadFile(dll)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.Dir, "drive_c/windows/system32/bcryptprimitives.dll"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return w
}

// Env is the environment of a program run in the prefix: no display
// (but Display when set), wine's own HOME, no debug output, no Mono or
// Gecko install prompts. The rest (PULSE_SERVER above all) comes from the
// test's environment.
func (w *winePrefix) Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "DISPLAY" && k != "WAYLAND_DISPLAY" {
			env = append(env, kv)
		}
	}
	env = append(env, "WINEPREFIX="+w.Dir, "WINEARCH=win64", "WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=", "HOME="+w.home)
	if w.Display != "" {
		env = append(env, "DISPLAY="+w.Display)
	}
	return append(env, extra...)
}

// Output runs a program in the prefix and returns its stdout without CRs.
// When wine's loader cannot start a program it hands it to start.exe,
// which prints "ShellExecuteEx failed": such a start is retried (as
// scripts/test-release.sh's win does).
func (w *winePrefix) Output(t *testing.T, args ...string) string {
	t.Helper()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, "wine", args...)
		cmd.Env = w.Env()
		out, err := cmd.Output()
		cancel()
		text := strings.ReplaceAll(string(out), "\r", "")
		if strings.Contains(text, "ShellExecuteEx failed") && attempt < 3 {
			t.Logf("note: wine could not start %s (attempt %d of 3)", args[0], attempt)
			time.Sleep(time.Second)
			continue
		}
		if err != nil {
			t.Fatalf("wine %v: %v\n%s", args, err, text)
		}
		return text
	}
}

// Agents are the pids of the agents running in this prefix ("X.exe
// agent", X.exe named exe), as wine's loader shows them in /proc.
func (w *winePrefix) Agents(exe string) []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, proc := range procs {
		environ, err := os.ReadFile(filepath.Join(proc, "environ"))
		if err != nil || !slices.Contains(strings.Split(string(environ), "\x00"), "WINEPREFIX="+w.Dir) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(proc, "cmdline"))
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		// A Windows path when Windows started it, a Unix one from a shell.
		if err != nil || len(args) != 2 || args[1] != "agent" || !strings.EqualFold(args[0][strings.LastIndexAny(args[0], `\/`)+1:], exe) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(proc)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// UnixPath is the file a Windows drive path names in this prefix.
func (w *winePrefix) UnixPath(winPath string) string {
	if len(winPath) < 2 || winPath[1] != ':' {
		return winPath
	}
	drive := strings.ToLower(winPath[:1]) + ":"
	return filepath.Join(w.Dir, "dosdevices", drive, strings.ReplaceAll(winPath[2:], `\`, "/"))
}

// AllowPageOrigin puts browsertest.AllowedDomain on the user's allow-list
// (%APPDATA%\BPClient\policy.json), where the host and the agent read it.
func (w *winePrefix) AllowPageOrigin(t *testing.T) {
	t.Helper()
	configDir := filepath.Join(w.UnixPath(w.Getenv(t, "APPDATA")), "BPClient")
	policy, _ := json.Marshal(map[string]any{"domains": []string{browsertest.AllowedDomain}})
	if err := os.MkdirAll(configDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(configDir, "policy.json"), policy, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Getenv is a variable of the Windows environment wine gives programs
// (%APPDATA%, %LOCALAPPDATA%).
func (w *winePrefix) Getenv(t *testing.T, name string) string {
	t.Helper()
	v := strings.TrimSpace(w.Output(t, "cmd", "/c", "echo", "%"+name+"%"))
	if v == "" || v == "%"+name+"%" {
		t.Fatalf("wine: %%%s%% is not set", name)
	}
	return v
}

// wineHangGuard formats a hang guard's failure the same way everywhere.
func wineHangGuard(d time.Duration, format string, args ...any) string {
	return fmt.Sprintf("hang guard (%v): ", d) + fmt.Sprintf(format, args...)
}
