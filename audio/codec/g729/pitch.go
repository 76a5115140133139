package g729

// The adaptive codebook (§3.7): delays from 19 1/3 to 143 samples, in
// thirds below 85 in subframe 1 and around subframe 1's delay in
// subframe 2.

const (
	pitchMin = 20
	pitchMax = 143
	// excHistory is the past excitation the adaptive codebook reaches
	// back to: the longest delay and the interpolation filter's taps.
	excHistory = pitchMax + 11
)

// decodeDelay1 is subframe 1's delay from P1: integer part and the
// fraction in thirds (-1, 0, 1).
func decodeDelay1(p1 int) (t, frac int) {
	if p1 < 197 {
		t = (p1+2)/3 + 19
		return t, p1 - 3*t + 58
	}
	return p1 - 112, 0
}

// delay2Range is the ten integer delays subframe 2 may use around t1.
func delay2Range(t1 int) (tmin, tmax int) {
	tmin = max(t1-5, pitchMin)
	tmax = tmin + 9
	if tmax > pitchMax {
		tmax = pitchMax
		tmin = tmax - 9
	}
	return tmin, tmax
}

// decodeDelay2 is subframe 2's delay from P2 relative to subframe 1's.
func decodeDelay2(p2, t1 int) (t, frac int) {
	tmin, _ := delay2Range(t1)
	i := (p2+2)/3 - 1
	return i + tmin, p2 - 2 - 3*i
}

// pitchParity is the parity bit over P1's six most significant bits.
func pitchParity(p1 int) int {
	v := p1 >> 2
	par := 1
	for ; v != 0; v >>= 1 {
		par ^= v & 1
	}
	return par
}

// adaptiveVector writes the adaptive codebook vector for delay t + frac/3
// into exc[at:at+n], reading the excitation before it (at >= excHistory).
// It works in place, so delays shorter than the subframe repeat the
// vector being built, as the Recommendation intends.
func adaptiveVector(exc []int16, at, n, t, frac int) {
	// Taps b(ph+3i) on u(m-i) and b(3-ph+3i) on u(m+1+i) interpolate the
	// point ph/3 after u(m): with m = n-k that is a delay of k - ph/3.
	k, ph := t, 0
	switch frac {
	case 1: // t + 1/3 = (t+1) - 2/3
		k, ph = t+1, 2
	case -1: // t - 1/3
		ph = 1
	}
	var back, fwd [10]int32
	for i := range 10 {
		back[i] = int32(interp3[ph+3*i])
		fwd[i] = int32(interp3[3-ph+3*i])
	}
	for j := at; j < at+n; j++ {
		w := (*[20]int16)(exc[j-k-9 : j-k+11]) // w[9] is u(m), m = j-k
		var acc int32
		for i := range 10 {
			acc += int32(w[9-i])*back[i] + int32(w[10+i])*fwd[i]
		}
		exc[j] = sat16((acc + 1<<14) >> 15)
	}
}
