package capture

import (
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/internal/testpeers"
	"github.com/openbpclient/bpclient/screen"
)

// grabUntilGone opens a capture of a private Xvfb (there is no
// ~/.Xauthority for it), grabs, kills the Xvfb and grabs until a grab
// fails; it returns that failure.
func grabUntilGone(t *testing.T) error {
	t.Helper()
	d := desktoptest.StartScreen(t, 320, 240)
	if d == nil {
		return nil
	}
	c, err := Open(Options{Display: d.Display})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var f screen.Frame
	if err := c.Grab(&f); err != nil {
		t.Fatal(err)
	}
	d.KillX()
	for range 100 {
		if err := c.Grab(&f); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("grabs still succeed 2 s after the X server was killed")
	return nil
}

// TestXLibraryQuietWhenTheDisplayGoes: the X library's lines (no
// ~/.Xauthority at connect, the connection lost when the display goes
// away) never reach stderr (issue 11), in a process that routed them
// nowhere. Run in a child process: xgb writes to fd 2 itself.
func TestXLibraryQuietWhenTheDisplayGoes(t *testing.T) {
	desktoptest.QuietWhenTheDisplayGoes(t, "the screen capture", grabUntilGone)
}

// TestLibraryLogTakesTheXLibraryLines: with LibraryLog set, the X
// library's lines come to it a line at a time.
func TestLibraryLogTakesTheXLibraryLines(t *testing.T) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		testpeers.Missing(t, "Xvfb is not installed (scripts/deps.sh installs xvfb)")
		return
	}
	var mu sync.Mutex
	var lines []string
	LibraryLog(func(line string) {
		mu.Lock()
		lines = append(lines, line)
		mu.Unlock()
	})
	t.Cleanup(func() { LibraryLog(nil) })
	if err := grabUntilGone(t); err == nil {
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		got := strings.Join(lines, "\n")
		mu.Unlock()
		if strings.Contains(got, "unrecoverable") {
			if strings.Contains(got, "\n\n") || strings.HasSuffix(got, "\n") {
				t.Errorf("lines with empty ones or newlines in them: %q", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the X library's lines %q: want its lost connection", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
