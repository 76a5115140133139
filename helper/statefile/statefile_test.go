package statefile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteReadPrivate: a written file reads back, is 0600 in a 0700
// folder, and a missing one is not found without an error.
func TestWriteReadPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "x.json")
	var v struct{ A int }
	if found, err := Read(path, &v); found || err != nil {
		t.Fatalf("missing file: %v %v", found, err)
	}
	if err := Write(path, map[string]int{"A": 7}); err != nil {
		t.Fatal(err)
	}
	if found, err := Read(path, &v); !found || err != nil || v.A != 7 {
		t.Fatalf("read back %+v %v %v", v, found, err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: %v %v", p, info.Mode(), err)
		}
	}
}
