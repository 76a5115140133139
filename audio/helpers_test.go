package audio

import (
	"math"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
)

var f8k20 = Format{Rate: 8000, Frame: 20 * time.Millisecond}

// hangGuard bounds the tests' waits for an event from a fake or a real
// device: it only catches a hang, so it is generous enough for a loaded
// machine and costs nothing unless something hangs. Speed is measured
// with benchmarks (BENCHMARKS.md), never asserted by a wait.
const hangGuard = 30 * time.Second

// recv waits for a value from ch, up to the hang guard; what says what
// did not come.
func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("hang guard (%v): %s", hangGuard, what)
	}
	var zero T
	return zero
}

func sine(freq float64, rate, n int, amp float64, phase *float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * 32767 * math.Sin(*phase))
		*phase += 2 * math.Pi * freq / float64(rate)
	}
	return out
}

func checkToneT(t testing.TB, what string, pcm []int16, rate int, freq float64) {
	t.Helper()
	if len(pcm) < rate/10 {
		t.Fatalf("%s: only %d samples", what, len(pcm))
	}
	got := dsp.DominantFrequency(pcm, rate)
	lvl := dsp.DBFS(dsp.RMS(pcm))
	t.Logf("%s: %d samples, dominant %.1f Hz, %.1f dBFS", what, len(pcm), got, lvl)
	if math.Abs(got-freq) > freq*0.01 || lvl < -40 {
		t.Fatalf("%s: want a %.0f Hz tone, got %.1f Hz at %.1f dBFS", what, freq, got, lvl)
	}
}

// loud keeps the blocks of n samples that are not silence.
func loud(pcm []int16, n int) []int16 {
	var out []int16
	for i := 0; i+n <= len(pcm); i += n {
		if dsp.RMS(pcm[i:i+n]) > 0.01 {
			out = append(out, pcm[i:i+n]...)
		}
	}
	return out
}

func checkTone(t *testing.T, what string, pcm []int16, rate int, freq float64) {
	t.Helper()
	checkToneT(t, what, pcm, rate, freq)
}
