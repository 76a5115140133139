package g729

// LSP side of the codec, shared by the decoder and the encoder (§3.2.4 to
// §3.2.6, §4.1.1). Q formats: LSF ω in radians Q13 (π = 25736), LSP
// q = cos ω in Q15, LP coefficients a in Q12 with a[0] = 1.

const (
	lsfMin     = 40    // 0.005 rad: the lowest LSF after the stability check
	lsfMax     = 25681 // 3.135 rad: the highest
	lsfMinGap  = 321   // 0.0392 rad between neighbours
	lsfGapWide = 10    // the first rearrangement's minimum distance (0.0012)
	lsfGapFine = 5     // the second's (0.0006)
	piQ13      = 25736
)

// lspPredictorMemory is the MA predictor's four past quantiser outputs l
// (Q13), newest first.
type lspPredictorMemory [4][order]int16

func newLSPPredictorMemory() lspPredictorMemory {
	var m lspPredictorMemory
	for k := range m {
		m[k] = lspInitialFreqs
	}
	return m
}

// push makes l the newest past output.
func (m *lspPredictorMemory) push(l *[order]int16) {
	copy(m[1:], m[:3])
	m[0] = *l
}

// predict is ω = rest·l + Σ p_k·m_k (the MA prediction, §3.2.4).
func (m *lspPredictorMemory) predict(omega, l *[order]int16, pred *[4][order]int16, rest *[order]int16) {
	for i := range order {
		acc := int64(rest[i]) * int64(l[i])
		for k := range 4 {
			acc += int64(pred[k][i]) * int64(m[k][i])
		}
		omega[i] = sat16of64(roundShift(acc, 15))
	}
}

// residualFor is the l that, pushed into the memory, makes the memory
// predict omega exactly: (ω - Σ p_k·m_k) / rest, used to keep the memory
// going through an erased frame (§4.4.1).
func (m *lspPredictorMemory) residualFor(l, omega *[order]int16, pred *[4][order]int16, restInv *[order]int16) {
	for i := range order {
		acc := int64(omega[i]) << 15
		for k := range 4 {
			acc -= int64(pred[k][i]) * int64(m[k][i])
		}
		// acc Q28; restInv Q12 → Q40 → Q13
		l[i] = sat16of64(roundShift(roundShift(acc, 15)*int64(restInv[i]), 12))
	}
}

// voiceResidual is the quantised LSF residual l a voice frame's indices
// name: L1's vector plus the two halves of the second stage, rearranged
// (§3.2.4).
func voiceResidual(l *[order]int16, l1, l2, l3 int) {
	first, lower, upper := &lspCodebook1[l1&127], &lspCodebook2[l2&31], &lspCodebook2[l3&31]
	for i := range 5 {
		l[i] = first[i] + lower[i]
		l[i+5] = first[i+5] + upper[i+5]
	}
	rearrange(l, lsfGapWide)
	rearrange(l, lsfGapFine)
}

// rearrange keeps neighbouring coefficients at least gap apart (§3.2.4).
func rearrange(l *[order]int16, gap int16) {
	for i := 1; i < order; i++ {
		if d := int32(l[i-1]) - int32(l[i]) + int32(gap); d > 0 {
			l[i-1] = int16(int32(l[i-1]) - d/2)
			l[i] = int16(int32(l[i]) + d - d/2)
		}
	}
}

// stabilise sorts the LSFs and holds them inside [lsfMin, lsfMax] at
// least lsfMinGap apart.
func stabilise(w *[order]int16) {
	for i := 1; i < order; i++ { // insertion sort: they are almost sorted
		for j := i; j > 0 && w[j] < w[j-1]; j-- {
			w[j], w[j-1] = w[j-1], w[j]
		}
	}
	if w[0] < lsfMin {
		w[0] = lsfMin
	}
	for i := 1; i < order; i++ {
		if w[i] < w[i-1]+lsfMinGap {
			w[i] = w[i-1] + lsfMinGap
		}
	}
	if w[order-1] > lsfMax {
		w[order-1] = lsfMax
	}
}

// lsfToLSP is q = cos ω by cosTable, linearly interpolated.
func lsfToLSP(q, w *[order]int16) {
	for i, om := range w {
		q[i] = cosQ13(om)
	}
}

// cosQ13 is cos of an angle in [0, π] in Q13 radians, Q15.
func cosQ13(om int16) int16 {
	// position on the 64-interval table: ω·64/π in Q16.
	pos := int64(max(om, 0)) * (64 << 16) / piQ13
	i := pos >> 16
	if i >= 64 {
		return cosTable[64]
	}
	frac := pos & 0xffff
	lo, hi := int64(cosTable[i]), int64(cosTable[i+1])
	return int16(lo + ((hi-lo)*frac)>>16)
}

// acosQ15 is arccos of an LSP (Q15) in Q13 radians, the inverse of
// cosQ13, by a binary search of cosTable and interpolation.
func acosQ15(q int16) int16 {
	lo, hi := 0, 64 // cosTable decreases: cosTable[lo] >= q >= cosTable[hi]
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if cosTable[mid] >= q {
			lo = mid
		} else {
			hi = mid
		}
	}
	span := int64(cosTable[lo]) - int64(cosTable[hi])
	frac := int64(0)
	if span > 0 {
		frac = (int64(cosTable[lo]) - int64(q)) << 16 / span
	}
	pos := int64(lo)<<16 + frac // Q16 of the 64-interval grid
	return int16((pos*piQ13/64 + 1<<15) >> 16)
}

// lspToLP turns LSPs (Q15) into LP coefficients (Q12, a[0] = 4096) through
// the sum and difference polynomials F1 and F2 (§3.2.6).
func lspToLP(a *[order + 1]int16, q *[order]int16) {
	var f1, f2 [6]int64 // Q24, degree 5 halves of the symmetric polynomials
	lspPolynomial(&f1, q, 0)
	lspPolynomial(&f2, q, 1)
	a[0] = 4096
	for i := 1; i <= 5; i++ {
		g1 := f1[i] + f1[i-1] // F1'(z) = F1(z)(1 + 1/z)
		g2 := f2[i] - f2[i-1] // F2'(z) = F2(z)(1 - 1/z)
		a[i] = sat16of64(roundShift(g1+g2, 13))
		a[order+1-i] = sat16of64(roundShift(g1-g2, 13))
	}
}

// lspPolynomial is the product of (1 - 2 q_k z^-1 + z^-2) over the
// coefficients q[first], q[first+2], ...: its first six coefficients, Q24.
func lspPolynomial(f *[6]int64, q *[order]int16, first int) {
	var c [11]int64
	c[0] = 1 << 24
	deg := 0
	for k := first; k < order; k += 2 {
		b := int64(q[k]) * 2 // -2q in Q15 times -1
		for j := deg + 2; j >= 1; j-- {
			v := c[j] - (b*c[j-1])>>15
			if j >= 2 {
				v += c[j-2]
			}
			c[j] = v
		}
		deg += 2
	}
	copy(f[:], c[:6])
}

// interpolateLSP is the subframe-1 LSP, halfway between the last frame's
// and this one's (§3.2.5).
func interpolateLSP(out, prev, cur *[order]int16) {
	for i := range order {
		out[i] = int16((int32(prev[i]) + int32(cur[i])) >> 1)
	}
}

// weightLP is a_i·γ^i (γ in Q15), the bandwidth-expanded A(z/γ).
func weightLP(out, a *[order + 1]int16, gamma int16) {
	out[0] = a[0]
	g := int32(gamma)
	for i := 1; i <= order; i++ {
		out[i] = sat16((int32(a[i])*g + 1<<14) >> 15)
		g = (g*int32(gamma) + 1<<14) >> 15
	}
}
