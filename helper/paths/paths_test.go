package paths

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestFollowsXDG(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG layout is Linux's")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(home, "run"))
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	check := func(name string, got string, err error, want string) {
		t.Helper()
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	s, err := AgentSocket()
	check("AgentSocket", s, err, filepath.Join(home, "run", "bpclient", "agent.sock"))
	s, err = UserPolicyFile()
	check("UserPolicyFile", s, err, filepath.Join(home, ".config", "bpclient", "policy.json"))
	s, err = LogFile()
	check("LogFile", s, err, filepath.Join(home, "state", "bpclient", "BPClient.log"))
	t.Setenv("XDG_STATE_HOME", "")
	s, err = LogDir()
	check("LogDir", s, err, filepath.Join(home, ".local", "state", "bpclient"))
}

// Without XDG_RUNTIME_DIR the socket goes to the user's cache folder,
// never to a shared temp folder where another user could create it first.
func TestAgentSocketFallbackIsInsideHome(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG layout is Linux's")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "")
	s, err := AgentSocket()
	if want := filepath.Join(home, ".cache", "bpclient", "run", "agent.sock"); err != nil || s != want {
		t.Errorf("AgentSocket = %q, %v; want %q", s, err, want)
	}
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "c"))
	s, err = AgentSocket()
	if want := filepath.Join(home, "c", "bpclient", "run", "agent.sock"); err != nil || s != want {
		t.Errorf("AgentSocket with XDG_CACHE_HOME = %q, %v; want %q", s, err, want)
	}
}

// A home too deep for a socket address gives a clear error, not a socket
// path that bind would cut short or refuse.
func TestAgentSocketTooLong(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows uses a named pipe")
	}
	deep := "/" + strings.Repeat("d", 120)
	t.Setenv("HOME", deep)
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("TMPDIR", "")
	_, err := AgentSocket()
	if err == nil || !strings.Contains(err.Error(), "more than the") || !strings.Contains(err.Error(), "shorter folder that only you can write") {
		t.Fatalf("AgentSocket under a %d-byte home: %v, want the too-long error", len(deep), err)
	}
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	if s, err := AgentSocket(); runtime.GOOS == "linux" && (err != nil || s != "/run/user/1000/bpclient/agent.sock") {
		t.Errorf("AgentSocket = %q, %v", s, err)
	}
}

// Each OS's socket folder, whatever OS the test runs on: never a folder
// that others can write to.
func TestRuntimeDirPerOS(t *testing.T) {
	home := func() (string, error) { return "/home/u", nil }
	private := func(dir string) bool { return dir == "/var/folders/xy/T" }
	for _, tc := range []struct {
		goos string
		env  map[string]string
		want string
	}{
		{"linux", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, "/run/user/1000/bpclient"},
		{"linux", map[string]string{"TMPDIR": "/tmp"}, "/home/u/.cache/bpclient/run"},
		{"linux", map[string]string{"XDG_CACHE_HOME": "/home/u/c"}, "/home/u/c/bpclient/run"},
		{"freebsd", nil, "/home/u/.cache/bpclient/run"},
		{"darwin", map[string]string{"TMPDIR": "/var/folders/xy/T"}, "/var/folders/xy/T/bpclient"},
		{"darwin", map[string]string{"TMPDIR": "/tmp"}, "/home/u/Library/Caches/BPClient/run"},
		{"darwin", nil, "/home/u/Library/Caches/BPClient/run"},
	} {
		got, err := runtimeDir(tc.goos, func(k string) string { return tc.env[k] }, home, private)
		if err != nil || got != tc.want {
			t.Errorf("%s %v: %q, %v; want %q", tc.goos, tc.env, got, err, tc.want)
		}
	}
	if _, err := runtimeDir("windows", os.Getenv, home, private); err == nil {
		t.Error("windows: a runtime dir, want the named-pipe error")
	}
}
