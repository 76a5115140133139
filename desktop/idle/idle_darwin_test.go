package idle_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/desktop/idle"
)

// TestDarwinSource, on a Mac (never run yet: see idle_darwin.go): the
// source opens in a login session, names itself, says it is untested,
// and reads an idle time that grows while nothing happens.
func TestDarwinSource(t *testing.T) {
	src, err := idle.Open(idle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	d := src.(idle.Detailer).Details()
	if src.Name() != idle.SourceMacOS || d.Lock != idle.LockCGSession || !strings.Contains(d.Note, "untested") {
		t.Errorf("name %q, details %+v", src.Name(), d)
	}
	a, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	b, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b.Idle-a.Idle < 400*time.Millisecond {
		t.Errorf("read %+v then %+v 600 ms later: want the idle time to grow", a, b)
	}
}
