package dsp

import "math"

// Ringtone synthesizes bpclient's own ringtone at rate Hz: a four-note
// bell phrase (E6 C6 G6 C7, each note a few decaying partials) played
// twice, then silence, 4 s in all; ringers loop it. It is made here, from
// nothing but these numbers, so it carries no one else's rights.
func Ringtone(rate int) []int16 {
	notes := []float64{1318.5, 1046.5, 1568.0, 2093.0}
	var strikes []strike
	for rep := 0; rep < 2; rep++ {
		for i, f := range notes {
			strikes = append(strikes, strike{at: float64(rep)*1.2 + float64(i)*0.22, freq: f})
		}
	}
	return bells(rate, 4.0, 0.35, strikes)
}

// Alert synthesizes a short notification chime at rate Hz (G6 then C7,
// 0.6 s), for alerts that play on the ringer devices.
func Alert(rate int) []int16 {
	return bells(rate, 0.6, 0.25, []strike{{0, 1568.0}, {0.12, 2093.0}})
}

type strike struct{ at, freq float64 }

// bells renders struck bell notes into seconds of audio whose peak is
// level of full scale.
func bells(rate int, seconds, level float64, strikes []strike) []int16 {
	// Partials of a small bell: ratio to the note, relative amplitude,
	// decay time constant in seconds.
	partials := []struct{ ratio, amp, tau float64 }{
		{1, 1, 0.18}, {2.0, 0.35, 0.09}, {2.76, 0.18, 0.06}, {5.4, 0.06, 0.03},
	}
	out := make([]int16, int(seconds*float64(rate)))
	buf := make([]float64, len(out))
	nyq := float64(rate) / 2
	for _, s := range strikes {
		i0 := int(s.at * float64(rate))
		for _, p := range partials {
			fp := s.freq * p.ratio
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
	if peak == 0 {
		return out
	}
	for i, v := range buf {
		out[i] = clamp16(v / peak * level * 32767)
	}
	return out
}
