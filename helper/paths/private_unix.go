//go:build !windows

package paths

import (
	"os"
	"syscall"
)

// onlyUserWrites says whether dir is a folder of this user that no other
// user may write to, so nobody else can have created names inside it.
func onlyUserWrites(dir string) bool {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid() && fi.Mode().Perm()&0o022 == 0
}
