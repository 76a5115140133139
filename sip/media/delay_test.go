package media

import (
	"math/rand/v2"
	"testing"
	"time"
)

// feed adds n transits of a base plus seeded uniform jitter below spread,
// for packets first.. sent 20 ms apart with a sender clock off by ppm.
func feed(d *delayEstimator, rng *rand.Rand, first, n int, base, spread time.Duration, ppm float64) {
	for i := first; i < first+n; i++ {
		drift := time.Duration(float64(i) * float64(frameDur) * ppm / 1e6)
		j := time.Duration(0)
		if spread > 0 {
			j = time.Duration(rng.Int64N(int64(spread)))
		}
		d.add(base + j - drift)
	}
}

// The target covers a high quantile of the arrival delays, not their
// mean: under uniform jitter of 0 to 80 ms, all but the latest packets
// are in time; on a clean network it is the guard and little more.
func TestDelayTargetIsAQuantileWithAFloor(t *testing.T) {
	for _, c := range []struct {
		spread   time.Duration
		min, max time.Duration
	}{
		{0, delayGuard, delayGuard + 2*time.Millisecond},
		{2 * time.Millisecond, delayGuard, delayGuard + 4*time.Millisecond},
		{30 * time.Millisecond, 27*time.Millisecond + delayGuard, 32*time.Millisecond + delayGuard},
		{80 * time.Millisecond, 75*time.Millisecond + delayGuard, 82*time.Millisecond + delayGuard},
	} {
		var d delayEstimator
		feed(&d, rand.New(rand.NewPCG(1, 1)), 0, 1000, 5*time.Millisecond, c.spread, 0)
		tgt, ok := d.target()
		above := tgt - d.fastest
		if !ok || above < c.min || above > c.max {
			t.Errorf("jitter 0-%v: target %v above the fastest, want %v to %v", c.spread, above, c.min, c.max)
		}
	}
	var d delayEstimator
	if _, ok := d.target(); ok {
		t.Error("a target before any packet")
	}
}

// A spike (a stall of 20 packets, 4% of the window: more than the
// quantile leaves out) raises the target at once and holds it while the
// spike is in the 10 s window; then it comes back down.
func TestDelayTargetSpikeUpAtOnceDownAfterTheWindow(t *testing.T) {
	var d delayEstimator
	rng := rand.New(rand.NewPCG(2, 1))
	feed(&d, rng, 0, 600, 5*time.Millisecond, 2*time.Millisecond, 0)
	calm, _ := d.target()
	for i := 0; i < 20; i++ {
		d.add(5*time.Millisecond + 200*time.Millisecond)
	}
	up, _ := d.target()
	if up-calm < 190*time.Millisecond {
		t.Errorf("20 packets 200 ms late raised the target from %v to %v only", calm, up)
	}
	feed(&d, rng, 620, delayWindow-30, 5*time.Millisecond, 2*time.Millisecond, 0)
	if held, _ := d.target(); held-calm < 190*time.Millisecond {
		t.Errorf("the spike still in the window, the target fell to %v", held)
	}
	feed(&d, rng, 1100, 40, 5*time.Millisecond, 2*time.Millisecond, 0)
	if down, _ := d.target(); down-calm > 3*time.Millisecond {
		t.Errorf("the spike out of the window, the target is %v, was %v before it", down, calm)
	}
}

// A sender clock 0.5% fast or slow moves the fastest transit with it,
// and the spread above it stays about the clean one.
func TestDelayTargetFollowsSenderDrift(t *testing.T) {
	for _, ppm := range []float64{5000, -5000} {
		var d delayEstimator
		feed(&d, rand.New(rand.NewPCG(3, 1)), 0, 30000, 5*time.Millisecond, 2*time.Millisecond, ppm)
		want := 5*time.Millisecond - time.Duration(30000*float64(frameDur)*ppm/1e6)
		if diff := d.fastest - want; diff > 12*time.Millisecond || diff < -12*time.Millisecond {
			t.Errorf("%v ppm: fastest transit %v after 10 minutes, want about %v", ppm, d.fastest, want)
		}
		if s := d.spread(); s > 14*time.Millisecond {
			t.Errorf("%v ppm: spread %v, want the clean jitter and the drift of 2 s at most", ppm, s)
		}
	}
}

// The fastest recent transit is the minimum of the last delayRecent,
// whatever their order.
func TestDelayFastestIsTheRecentMinimum(t *testing.T) {
	var d delayEstimator
	rng := rand.New(rand.NewPCG(4, 1))
	var all []time.Duration
	for i := 0; i < 5000; i++ {
		v := time.Duration(rng.Int64N(int64(100*time.Millisecond))) - time.Duration(i)*time.Microsecond*time.Duration(i%3)
		all = append(all, v)
		d.add(v)
		want := v
		for _, w := range all[max(0, len(all)-delayRecent):] {
			want = min(want, w)
		}
		if d.fastest != want {
			t.Fatalf("packet %d: fastest %v, want %v", i, d.fastest, want)
		}
	}
}
