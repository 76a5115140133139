package capture

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/screen"
)

// After the first grab the frame's pixels are reused. With MIT-SHM what a
// grab still allocates is xgb's request and reply bookkeeping (a few
// hundred bytes, and the pointer's picture); plain GetImage allocates
// about twice the frame, as xgb reads each band's reply into a buffer and
// copies its data out. Both bounds catch a regression.
func TestGrabReusesFrame(t *testing.T) {
	p := desktoptest.StartPainted(t, 1920, 1080)
	if p == nil {
		return
	}
	for _, tc := range []struct {
		name     string
		useSHM   bool
		maxBytes float64
	}{{"shm", true, 16 << 10}, {"getimage", false, 2.2 * 1920 * 1080 * 4}} {
		c, err := openX11(p.Display, "all", tc.useSHM)
		if err != nil {
			t.Fatal(err)
		}
		var f screen.Frame
		if err := c.Grab(&f); err != nil {
			t.Fatal(err)
		}
		first := &f.Pix[0]
		const grabs = 10
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range grabs {
			if err := c.Grab(&f); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		c.Close()
		if &f.Pix[0] != first {
			t.Errorf("%s: Grab replaced the frame's pixels instead of reusing them", tc.name)
		}
		perOp := float64(after.TotalAlloc-before.TotalAlloc) / grabs
		t.Logf("%s: %d allocations, %.0f bytes per grab (%d grabs; xgb's reader goroutine included)",
			tc.name, (after.Mallocs-before.Mallocs)/grabs, perOp, grabs)
		if perOp > tc.maxBytes {
			t.Errorf("%s: %.0f bytes allocated per grab, want at most %.0f", tc.name, perOp, tc.maxBytes)
		}
	}
}

// BenchmarkGrab1080p reports ms and this process's CPU per grab (the X
// server's own share is not in it).
func BenchmarkGrab1080p(b *testing.B) {
	p := desktoptest.StartPainted(b, 1920, 1080)
	if p == nil {
		return
	}
	p.Fill(barBoxes()...)
	for _, useSHM := range []bool{true, false} {
		b.Run(map[bool]string{true: "shm", false: "getimage"}[useSHM], func(b *testing.B) {
			c, err := openX11(p.Display, "all", useSHM)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			var f screen.Frame
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if err := c.Grab(&f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
