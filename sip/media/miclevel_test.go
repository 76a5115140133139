package media

import "testing"

// TestMicLevel: the peak is the loudest |sample| of the frames seen,
// full scale's negative end included; nothing seen is unknown, not
// silent.
func TestMicLevel(t *testing.T) {
	var l micLevel
	if p := l.peakOfFullScale(); p != nil {
		t.Fatalf("before any frame: %v", *p)
	}
	l.observe(make([]int16, 160))
	if p := l.peakOfFullScale(); p == nil || *p != 0 {
		t.Fatalf("after a silent frame: %v", p)
	}
	l.observe([]int16{0, 3277, -100})
	l.observe([]int16{10, -20})
	if p := l.peakOfFullScale(); p == nil || *p < 0.0999 || *p > 0.1001 {
		t.Fatalf("after a tenth of full scale: %v", p)
	}
	l.observe([]int16{-32768})
	if p := l.peakOfFullScale(); *p != 1 {
		t.Fatalf("after full scale: %v", *p)
	}
}
