package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestLogIsPrivate: BPClient.log is 0600 in a 0700 folder, also when the
// folder and an old log were made readable by others before.
func TestLogIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows keeps the log private by its folder's ACL, not by modes")
	}
	dir := filepath.Join(t.TempDir(), "bpclient")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "BPClient.log")
	if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, open := range []func(string) (interface{ Close() error }, error){
		func(p string) (interface{ Close() error }, error) { return OpenRotating(p) },
		func(p string) (interface{ Close() error }, error) { return OpenAppend(p) },
	} {
		os.Chmod(dir, 0o755)
		os.Chmod(path, 0o644)
		w, err := open(path)
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		checkMode(t, dir, 0o700)
		checkMode(t, path, 0o600)
	}
}

// TestLogRotatesBySizeAndCount: past its size the log is renamed and a
// new one begun, each 0600, and only the newest copies are kept.
func TestLogRotatesBySizeAndCount(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bpclient")
	path := filepath.Join(dir, "BPClient.log")
	const backups = 2
	w, err := openRotating(path, 1, backups)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	line := []byte(`{"msg":"` + strings.Repeat("x", 1000) + `"}` + "\n")
	for i := 0; i < 5; i++ {
		chunk := bytes.Repeat(line, (1<<20)/len(line))
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // distinct backup names (ms)
	}
	// lumberjack removes old copies in its own goroutine.
	var copies []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		copies, _ = filepath.Glob(filepath.Join(dir, "BPClient-*.log"))
		if len(copies) == backups {
			break
		}
	}
	if len(copies) != backups {
		t.Fatalf("%d rotated copies, want %d: %v", len(copies), backups, copies)
	}
	if runtime.GOOS != "windows" {
		for _, c := range append(copies, path) {
			checkMode(t, c, 0o600)
		}
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}
