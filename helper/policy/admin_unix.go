//go:build !windows

package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/openbpclient/bpclient/helper/paths"
)

func readAdminPolicy() (*File, error) { return readAdminFile(paths.AdminPolicyFile(), 0) }

// readAdminFile reads the admin policy at path only when the administrator
// (adminUID, root) owns it and its folder and nobody else may write either:
// a file a user could write would let that user unlock what the
// administrator locked. Such a file is an error, never "no policy", so
// that the agent refuses pages rather than fall back to the defaults.
func readAdminFile(path string, adminUID uint32) (*File, error) {
	for _, p := range []string{path, filepath.Dir(path)} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			return &File{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("admin policy: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil, fmt.Errorf("admin policy %s: no owner to check", p)
		}
		writable := fi.Mode().Perm() & 0o022
		if st.Uid != adminUID || writable&0o002 != 0 || writable&0o020 != 0 && !adminGroup(st.Gid) {
			return nil, fmt.Errorf("admin policy %s: owned by uid %d with mode %v; only the administrator (uid %d) may write it, so it is not used", p, st.Uid, fi.Mode().Perm(), adminUID)
		}
	}
	return ReadFile(path)
}

// adminGroup: groups whose members are administrators anyway (root or
// wheel; admin on macOS, whose /Library folders are group admin).
func adminGroup(gid uint32) bool { return gid == 0 || runtime.GOOS == "darwin" && gid == 80 }
