package dsp

import (
	"math"
	"testing"
)

// TestSegmentalSNR: a copy with noise 20 dB under the signal measures
// 20 dB; the pause segments are skipped (noise there would otherwise
// pull the mean down); an exact copy is clamped at 35 dB; a lag is
// honoured.
func TestSegmentalSNR(t *testing.T) {
	ref := Sine(8000, 440, 8000, 0.3)
	for i := 2000; i < 4000; i++ {
		ref[i] = 0 // a pause
	}
	test := make([]int16, len(ref))
	noise := Sine(len(ref), 1234.5, 8000, 0.03) // 20 dB under the 0.3 sine
	for i := range ref {
		test[i] = ref[i] + noise[i]
	}
	if s := SegmentalSNR(ref, test, 0, 80); math.Abs(s-20) > 0.5 {
		t.Errorf("SegmentalSNR with noise 20 dB down = %.2f dB, want 20", s)
	}
	if s := SegmentalSNR(ref, ref, 0, 80); s != 35 {
		t.Errorf("SegmentalSNR of a copy = %.2f dB, want the 35 dB clamp", s)
	}
	delayed := append(make([]int16, 13), ref...)
	if s := SegmentalSNR(ref, delayed, 13, 80); s != 35 {
		t.Errorf("SegmentalSNR of a copy delayed 13 samples at lag 13 = %.2f dB, want 35", s)
	}
	if s := SegmentalSNR(make([]int16, 800), make([]int16, 800), 0, 80); !math.IsInf(s, -1) {
		t.Errorf("SegmentalSNR of silence = %.2f, want -Inf", s)
	}
}
