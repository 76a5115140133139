package idle

import (
	"testing"
	"time"
)

// TestSinceTickAcrossTheWrap: GetTickCount wraps to 0 after 2^32 ms; the
// idle time stays the small number it is, not minus 49 days.
func TestSinceTickAcrossTheWrap(t *testing.T) {
	for _, c := range []struct {
		now, then uint32
		want      time.Duration
	}{
		{5000, 2000, 3 * time.Second},
		{1500, 0xFFFFFC18, 2500 * time.Millisecond}, // the input 1 s before the wrap, now 1.5 s after
		{0, 0xFFFFFFFF, time.Millisecond},
		{7, 7, 0},
	} {
		if got := sinceTick(c.now, c.then); got != c.want {
			t.Errorf("sinceTick(%d, %d) = %v, want %v", c.now, c.then, got, c.want)
		}
	}
}
