package paths

import (
	"path/filepath"
	"runtime"
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
