//go:build !windows

package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An admin policy someone other than the administrator could write is not
// the administrator's: reading it is an error (the agent then refuses
// pages), never a policy a user chose.
func TestAdminFileMustBeTheAdministrators(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file to another user (the tests run as root)")
	}
	dir := filepath.Join(t.TempDir(), "bpclient")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(path, []byte(`{"domains":["agent.example.test"],"usersCanManageDomains":false}`), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := readAdminFile(path, 0)
	if err != nil || len(f.Domains) != 1 || f.UsersCanManageDomains == nil || *f.UsersCanManageDomains {
		t.Fatalf("root's own 0644 policy: %+v, %v", f, err)
	}
	const nobody = 65534
	for _, tc := range []struct {
		name  string
		setup func() error
	}{
		{"file owned by a user", func() error { return os.Chown(path, nobody, nobody) }},
		{"file writable by a user's group", func() error {
			if err := os.Chown(path, 0, nobody); err != nil {
				return err
			}
			return os.Chmod(path, 0o664)
		}},
		{"file writable by all", func() error { return os.Chmod(path, 0o646) }},
		{"folder owned by a user", func() error { return os.Chown(dir, nobody, nobody) }},
		{"folder writable by all", func() error { return os.Chmod(dir, 0o777) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.Chown(path, 0, 0); err != nil {
				t.Fatal(err)
			}
			os.Chmod(path, 0o644)
			os.Chown(dir, 0, 0)
			os.Chmod(dir, 0o755)
			if err := tc.setup(); err != nil {
				t.Fatal(err)
			}
			// What such a user would write: the lock lifted.
			if err := os.WriteFile(path, []byte(`{"domains":["evil.test"],"usersCanManageDomains":true}`), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := readAdminFile(path, 0)
			if err == nil || !strings.Contains(err.Error(), "only the administrator") {
				t.Fatalf("read %+v, %v; want refused", f, err)
			}
		})
	}
	if f, err := readAdminFile(filepath.Join(dir, "missing.json"), 0); err != nil || len(f.Domains) != 0 {
		t.Errorf("no admin policy: %+v, %v", f, err)
	}
}
