package dsp

import "math"

// Ringtone synthesizes bpclient's own ringtone at rate Hz: a four-note
// bell phrase (E6 C6 G6 C7, each note a few decaying partials) played
// twice, then silence, 4 s in all; ringers loop it. It is made here, from
// nothing but these numbers, so it carries no one else's rights.
func Ringtone(rate int) []int16 {
	const (
		seconds = 4.0
		noteLen = 0.22 // s between note starts
		level   = 0.35 // peak of the sum, of full scale
	)
	notes := []float64{1318.5, 1046.5, 1568.0, 2093.0}
	// Partials of a small bell: ratio to the note, relative amplitude,
	// decay time constant in seconds.
	partials := []struct{ ratio, amp, tau float64 }{
		{1, 1, 0.18}, {2.0, 0.35, 0.09}, {2.76, 0.18, 0.06}, {5.4, 0.06, 0.03},
	}
	out := make([]int16, int(seconds*float64(rate)))
	buf := make([]float64, len(out))
	var starts []float64
	for rep := 0; rep < 2; rep++ {
		for i := range notes {
			starts = append(starts, float64(rep)*1.2+float64(i)*noteLen)
		}
	}
	nyq := float64(rate) / 2
	for k, t0 := range starts {
		f := notes[k%len(notes)]
		i0 := int(t0 * float64(rate))
		for _, p := range partials {
			fp := f * p.ratio
			if fp >= nyq*0.9 {
				continue // would alias at low sampling rates
			}
			w := 2 * math.Pi * fp / float64(rate)
			for i := i0; i < len(buf); i++ {
				t := float64(i-i0) / float64(rate)
				env := math.Exp(-t / p.tau)
				if env < 1e-4 {
					break
				}
				attack := math.Min(1, t/0.002) // 2 ms onset, no click
				buf[i] += p.amp * env * attack * math.Sin(w*float64(i-i0))
			}
		}
	}
	peak := 0.0
	for _, v := range buf {
		peak = math.Max(peak, math.Abs(v))
	}
	for i, v := range buf {
		out[i] = clamp16(v / peak * level * 32767)
	}
	return out
}
