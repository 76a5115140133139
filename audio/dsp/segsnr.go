package dsp

import "math"

// Segmental SNR limits: a segment's SNR is clamped to this range so that
// one near-perfect or one wiped-out segment does not dominate the mean
// (the usual convention for speech codecs), and segments of ref quieter
// than segQuietDBFS are left out, as pauses say nothing about a codec.
const (
	segSNRMin    = -10.0
	segSNRMax    = 35.0
	segQuietDBFS = -50.0
)

// SegmentalSNR is the mean over segments of seg samples of the SNR of
// test against ref, with test lagging ref by lag samples (SNR's lag).
// Each segment's SNR is clamped to [-10, 35] dB and segments of ref
// below -50 dBFS are skipped. Unlike SNR it weighs quiet and loud
// speech alike, which is how speech codecs are compared. It returns
// -Inf when no segment is loud enough.
func SegmentalSNR(ref, test []int16, lag, seg int) float64 {
	if seg <= 0 || lag < 0 {
		return math.Inf(-1)
	}
	quiet := FromDBFS(segQuietDBFS) * 32767
	quietEnergy := quiet * quiet * float64(seg)
	var sum float64
	var n int
	for off := 0; off+seg <= len(ref) && off+lag+seg <= len(test); off += seg {
		var rr, ee float64
		for i := off; i < off+seg; i++ {
			r := float64(ref[i])
			e := r - float64(test[i+lag])
			rr += r * r
			ee += e * e
		}
		if rr < quietEnergy {
			continue
		}
		s := segSNRMax
		if ee > 0 {
			s = math.Max(segSNRMin, math.Min(segSNRMax, 10*math.Log10(rr/ee)))
		}
		sum += s
		n++
	}
	if n == 0 {
		return math.Inf(-1)
	}
	return sum / float64(n)
}
