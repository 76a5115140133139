package idle_test

import (
	"context"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/desktop/idle"
	"github.com/openbpclient/bpclient/internal/desktoptest"
)

func openX(t testing.TB) (*desktoptest.Desktop, idle.Source) {
	t.Helper()
	d := desktoptest.StartX(t)
	src, err := idle.Open(idle.Options{Display: d.Display})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return d, src
}

func read(t testing.TB, src idle.Source) time.Duration {
	t.Helper()
	r, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r.Idle
}

// TestX11IdleTime: the idle time grows while nothing happens and drops
// to about zero after pointer input.
func TestX11IdleTime(t *testing.T) {
	d, src := openX(t)
	d.Input(10, 10)
	a := read(t, src)
	time.Sleep(700 * time.Millisecond)
	b := read(t, src)
	if b-a < 500*time.Millisecond {
		t.Errorf("idle %v then %v after 700 ms of nothing", a, b)
	}
	d.Input(300, 200)
	if c := read(t, src); c > 300*time.Millisecond {
		t.Errorf("idle %v right after input", c)
	}
	if src.Name() != "x11-screensaver" {
		t.Errorf("name %q", src.Name())
	}
}

// BenchmarkX11Read is one read of the idle time (one X round trip); the
// presence service makes 120 a minute.
func BenchmarkX11Read(b *testing.B) {
	_, src := openX(b)
	for b.Loop() {
		if _, err := src.Read(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestX11LockFromScreenSaver: under X11 the idle time is the X server's
// and the lock the session bus's ScreenSaver's (a fake here).
func TestX11LockFromScreenSaver(t *testing.T) {
	d := desktoptest.StartX(t)
	fake, addr := desktoptest.StartFakeGnome(t, true)
	fake.Set(999999, true) // Mutter's idle time is not the one read here
	src, err := idle.Open(idle.Options{Display: d.Display, BusAddress: addr, Source: idle.SourceX11})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	d.Input(5, 5)
	r, err := src.Read(context.Background())
	if err != nil || !r.Locked || r.Idle > 500*time.Millisecond || src.Name() != idle.SourceX11 {
		t.Fatalf("Read = %+v, %v from %s; want locked, idle from X", r, err, src.Name())
	}
	fake.Set(0, false)
	if r, _ := src.Read(context.Background()); r.Locked {
		t.Error("still locked after the ScreenSaver said it is not")
	}
}
