package idle_test

import (
	"context"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/desktop/idle"
)

// TestWindowsSource: on Windows (and under wine) the source opens, names
// itself and its lock source, and reads an idle time that grows while
// nothing happens. The reset by input is internal/e2e's
// TestWinePresenceAndPopup (xdotool under Xvfb).
func TestWindowsSource(t *testing.T) {
	src, err := idle.Open(idle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Name() != idle.SourceWindows {
		t.Errorf("name %q", src.Name())
	}
	d := src.(idle.Detailer).Details()
	if d.Lock != idle.LockWTSSession && d.Lock != idle.LockInputDesktop {
		t.Errorf("lock source %q", d.Lock)
	}
	t.Logf("lock source %s", d.Lock)
	a, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	b, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b.Idle-a.Idle < 400*time.Millisecond || a.Locked || b.Locked {
		t.Errorf("read %+v then %+v 600 ms later: want the idle time to grow, not locked", a, b)
	}
}
