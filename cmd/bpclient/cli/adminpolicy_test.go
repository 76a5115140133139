package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The admin policy comes only from the administrator's place. A user who
// could name another file would write {"usersCanManageDomains": true}
// into it and unlock what the administrator locked, so neither `agent`
// nor `policy` takes a file: the flag is a usage error and no agent starts.
func TestAdminPolicyFlagRefused(t *testing.T) {
	home := t.TempDir()
	for _, v := range []string{"XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "HOME", "TMPDIR"} {
		dir := filepath.Join(home, strings.ToLower(v))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv(v, dir)
	}
	unlock := filepath.Join(home, "my-admin-policy.json")
	if err := os.WriteFile(unlock, []byte(`{"domains":["evil.example"],"usersCanManageDomains":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"agent", "--admin-policy", unlock},
		{"policy", "--admin-policy", unlock, "allow", "evil.example"},
	} {
		t.Run(args[0], func(t *testing.T) {
			// Hang guard: the old code ran an agent here until cancelled.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out, errb bytes.Buffer
			code := Run(ctx, args, Env{Stdout: &out, Stderr: &errb})
			if code != exitUsage {
				t.Fatalf("exit %d, want %d (usage); stderr: %s", code, exitUsage, errb.String())
			}
			if !strings.Contains(errb.String(), "admin-policy") {
				t.Errorf("stderr does not name the refused flag: %s", errb.String())
			}
			if data, err := os.ReadFile(filepath.Join(home, "xdg_config_home", "bpclient", "policy.json")); err == nil {
				t.Errorf("the user's policy was written: %s", data)
			}
		})
	}
}
