package idle_test

import (
	"context"
	"errors"
	"testing"

	"github.com/openbpclient/bpclient/desktop/idle"
	"github.com/openbpclient/bpclient/internal/desktoptest"
)

// TestMutterAndScreenSaver: the idle time is Mutter's, the lock the
// ScreenSaver's; without the ScreenSaver the session is never locked;
// without Mutter the source is unavailable.
func TestMutterAndScreenSaver(t *testing.T) {
	f, addr := desktoptest.StartFakeGnome(t, true)
	src, err := idle.Open(idle.Options{BusAddress: addr, Source: idle.SourceMutter})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Name() != "mutter-idlemonitor" {
		t.Errorf("name %q", src.Name())
	}
	for _, want := range []idle.Reading{{Idle: 1500e6}, {Idle: 90e9, Locked: true}, {Idle: 20e6}} {
		f.Set(uint64(want.Idle.Milliseconds()), want.Locked)
		if got, err := src.Read(context.Background()); err != nil || got != want {
			t.Errorf("Read = %+v, %v; want %+v", got, err, want)
		}
	}

	f2, addr2 := desktoptest.StartFakeGnome(t, false)
	f2.Set(5000, true)
	src2, err := idle.Open(idle.Options{BusAddress: addr2, Source: idle.SourceMutter})
	if err != nil {
		t.Fatal(err)
	}
	defer src2.Close()
	if got, _ := src2.Read(context.Background()); got.Locked || got.Idle != 5e9 {
		t.Errorf("without a ScreenSaver: %+v, want 5 s and not locked", got)
	}

	if _, err := idle.Open(idle.Options{BusAddress: desktoptest.StartBus(t), Source: idle.SourceMutter}); !errors.Is(err, idle.ErrUnavailable) {
		t.Errorf("a bus without Mutter: %v, want ErrUnavailable", err)
	}
}
