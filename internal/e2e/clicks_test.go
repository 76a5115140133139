package e2e

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Clicks for mouth-to-ear measurements: a train of short bursts fed into
// one channel of a sink, and the onsets found again in a recording.

// clickFreq is the click's tone: well inside G.711's band, so a codec and
// two resamplers keep its shape and its onset where it was.
const clickFreq = 1000

// click is one click at rate: 4 ms of clickFreq under a Hann window, at
// 0.7 of full scale (a burst rather than a one-sample impulse, which a
// resampler to 8 kHz would spread and shrink below the noise).
func click(rate int) []int16 {
	n := rate * 4 / 1000
	c := make([]int16, n)
	for i := range c {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		c[i] = int16(0.7 * 32767 * w * math.Sin(2*math.Pi*clickFreq*float64(i)/float64(rate)))
	}
	return c
}

// clickTrain is lead of silence, then n clicks period apart, then one
// period of silence (S16 mono at rate).
func clickTrain(rate int, lead, period time.Duration, n int) []int16 {
	at := func(d time.Duration) int { return int(d.Seconds() * float64(rate)) }
	pcm := make([]int16, at(lead)+(n+1)*at(period))
	c := click(rate)
	for k := range n {
		copy(pcm[at(lead)+k*at(period):], c)
	}
	return pcm
}

// clickOnsets finds the clicks in a mono track: the first sample of each
// whose magnitude reaches half the track's peak, at least minGap after the
// previous onset. The threshold follows the track's own level, so a fed
// click and its arrival (quieter, filtered) are timed at the same point
// of their envelopes. A track whose peak is below floor has no clicks.
func clickOnsets(x []int16, rate int, minGap time.Duration, floor int) []int {
	peak := 0
	for _, v := range x {
		peak = max(peak, abs16(v))
	}
	if peak < floor {
		return nil
	}
	gap := int(minGap.Seconds() * float64(rate))
	var on []int
	for i := 0; i < len(x); i++ {
		if 2*abs16(x[i]) >= peak {
			on = append(on, i)
			i += gap - 1
		}
	}
	return on
}

func abs16(v int16) int {
	if v < 0 {
		return -int(v)
	}
	return int(v)
}

// clickDelays pairs every fed onset with the first arrival after it and
// within window, and returns the delays; missed counts fed clicks that
// did not arrive.
func clickDelays(fed, arrived []int, rate int, window time.Duration) (delays []time.Duration, missed int) {
	w := int(window.Seconds() * float64(rate))
	for _, f := range fed {
		i, _ := slices.BinarySearch(arrived, f)
		if i < len(arrived) && arrived[i]-f < w {
			delays = append(delays, time.Duration(float64(arrived[i]-f)/float64(rate)*float64(time.Second)))
		} else {
			missed++
		}
	}
	return delays, missed
}

// deinterleave splits a stereo recording into its left and right tracks.
func deinterleave(lr []int16) (l, r []int16) {
	l, r = make([]int16, len(lr)/2), make([]int16, len(lr)/2)
	for i := range l {
		l[i], r[i] = lr[2*i], lr[2*i+1]
	}
	return l, r
}

// TestClickDelays: clicks delayed by a known amount, quieter and in
// noise, are found at that delay to within a millisecond; a click that
// never arrives counts as missed.
func TestClickDelays(t *testing.T) {
	const rate = 48000
	fedTrack := clickTrain(rate, 300*time.Millisecond, time.Second, 5)
	delay := 173 * time.Millisecond
	shift := int(delay.Seconds() * rate)
	rng := rand.New(rand.NewPCG(1, 2))
	arrivedTrack := make([]int16, len(fedTrack))
	for i := range arrivedTrack {
		arrivedTrack[i] = int16(rng.IntN(201) - 100)
		if j := i - shift; j >= 0 && j < int(2.5*rate) { // the last two clicks are lost
			arrivedTrack[i] += fedTrack[j] / 4
		}
	}
	fed := clickOnsets(fedTrack, rate, 500*time.Millisecond, 1000)
	arrived := clickOnsets(arrivedTrack, rate, 500*time.Millisecond, 1000)
	if len(fed) != 5 || len(arrived) != 3 {
		t.Fatalf("found %d fed and %d arrived clicks, want 5 and 3", len(fed), len(arrived))
	}
	delays, missed := clickDelays(fed, arrived, rate, 800*time.Millisecond)
	if missed != 2 || len(delays) != 3 {
		t.Fatalf("delays %v, missed %d: want 3 delays and 2 missed", delays, missed)
	}
	for _, d := range delays {
		if (d - delay).Abs() > time.Millisecond {
			t.Errorf("delay %v, want %v ± 1 ms", d, delay)
		}
	}
	if got := clickOnsets(make([]int16, rate), rate, time.Second, 1000); got != nil {
		t.Errorf("silence has clicks at %v", got)
	}
}
