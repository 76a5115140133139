//go:build !windows

package paths

import (
	"os"
	"path/filepath"
	"testing"
)

// macOS's $TMPDIR is used only when it is a folder only we write to.
func TestOnlyUserWrites(t *testing.T) {
	own := t.TempDir()
	os.Chmod(own, 0o700)
	shared := filepath.Join(own, "shared")
	os.Mkdir(shared, 0o777)
	os.Chmod(shared, 0o1777)
	for dir, want := range map[string]bool{own: true, shared: false, filepath.Join(own, "none"): false} {
		if got := onlyUserWrites(dir); got != want {
			t.Errorf("onlyUserWrites(%s) = %v, want %v", dir, got, want)
		}
	}
}
