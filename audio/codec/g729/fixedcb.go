package g729

// The 17-bit algebraic codebook (§3.8): four pulses of ±1 on the tracks
// 0,5..35 / 1,6..36 / 2,7..37 / 3,8..38 and 4,9..39; code vectors are Q13
// (a pulse is 8192).

const pulseQ13 = 8192

// pulsePositions is the four positions index c names.
func pulsePositions(c int) (pos [4]int) {
	pos[0] = (c & 7) * 5
	pos[1] = (c>>3&7)*5 + 1
	pos[2] = (c>>6&7)*5 + 2
	j := c >> 9 & 15
	pos[3] = (j>>1)*5 + 3 + j&1
	return pos
}

// fixedVector builds the code vector for c and signs s.
func fixedVector(code *[subframe]int16, c, s int) {
	clear(code[:])
	for k, p := range pulsePositions(c) {
		if s>>uint(k)&1 != 0 {
			code[p] += pulseQ13
		} else {
			code[p] -= pulseQ13
		}
	}
}

// sharpen adds β·c(n-t) for a delay shorter than the subframe, the pitch
// sharpening of §3.8 (β Q14).
func sharpen(code *[subframe]int16, t int, beta int16) {
	for n := t; n < subframe; n++ {
		code[n] = sat16(int32(code[n]) + (int32(code[n-t])*int32(beta)+1<<13)>>14)
	}
}

// pitchSharpening bounds the last quantised pitch gain (Q14) to [0.2, 0.8].
func pitchSharpening(gp int16) int16 { return min(max(gp, 3277), 13107) }
