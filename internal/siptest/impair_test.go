package siptest

import (
	"testing"
	"time"
)

// An Impairment's pattern loses its share of packets, in bursts of its
// mean length when bursty, holds them up to its jitter, and is the same
// for the same seed.
func TestImpairPattern(t *testing.T) {
	for _, im := range []Impairment{
		{Seed: 1, LossPct: 2, Jitter: 30 * time.Millisecond},
		{Seed: 2, LossPct: 8, BurstLen: 3, Jitter: 80 * time.Millisecond},
	} {
		p, q := newImpairPattern(im), newImpairPattern(im)
		const n = 200000
		lost, bursts, run := 0, 0, 0
		var most time.Duration
		for i := 0; i < n; i++ {
			l, d := p.next()
			if l2, d2 := q.next(); l2 != l || d2 != d {
				t.Fatalf("%+v: packet %d differs between two patterns of one seed", im, i)
			}
			most = max(most, d)
			if d < 0 || d >= im.Jitter {
				t.Fatalf("%+v: held %v", im, d)
			}
			if l {
				lost++
				run++
			} else if run > 0 {
				bursts++
				run = 0
			}
		}
		pct := float64(lost) * 100 / n
		burst := float64(lost) / float64(bursts)
		t.Logf("%+v: lost %.2f%%, mean burst %.2f, held up to %v", im, pct, burst, most)
		if pct < im.LossPct*0.9 || pct > im.LossPct*1.1 {
			t.Errorf("%+v: lost %.2f%%", im, pct)
		}
		want := max(1, im.BurstLen)
		if im.BurstLen <= 1 {
			want = 1 / (1 - im.LossPct/100) // independent losses still meet now and then
		}
		if burst < want*0.9 || burst > want*1.1 {
			t.Errorf("%+v: mean burst %.2f packets, want about %.2f", im, burst, want)
		}
		if most < im.Jitter*9/10 {
			t.Errorf("%+v: held at most %v", im, most)
		}
	}
}
