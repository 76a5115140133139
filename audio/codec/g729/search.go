package g729

// The encoder's searches: open-loop pitch on the decimated weighted
// speech (Annex A), the closed-loop adaptive codebook with 1/3
// resolution, the algebraic codebook and the gain quantiser, all in the
// weighted domain of Annex A, W(z)/Â(z) = 1/Â(z/γ).

// convolve is y = v * h over a subframe (h Q12), y Q0 when v is.
func convolve(y *[subframe]int32, v []int16, h *[subframe]int16) {
	vv := (*[subframe]int16)(v)
	for n := range subframe {
		var acc int64
		hn := h[:n+1]
		for i, c := range vv[:n+1] {
			acc += int64(c) * int64(hn[n-i])
		}
		y[n] = sat32(roundShift(acc, 12))
	}
}

// openLoopPitch is Annex A's open-loop delay: the best normalised
// correlation of the weighted speech sw (the frame at sw[at:at+80], the
// past before it) with its past, on every other sample, in the ranges
// 80..143, 40..79 and 20..39, the shorter delays favoured so a multiple
// of the period is not taken for it.
func openLoopPitch(sw []int16, at int) int {
	corr := func(k int) int64 {
		var c int64
		for n := 0; n < FrameSamples; n += 2 {
			c += int64(sw[at+n]) * int64(sw[at+n-k])
		}
		return c
	}
	energy := func(k int) int64 {
		var e int64
		for n := 0; n < FrameSamples; n += 2 {
			e += int64(sw[at+n-k]) * int64(sw[at+n-k])
		}
		return max(e, 1)
	}
	bestIn := func(lo, hi, step int) (int, int64) {
		best, bestC := lo, int64(-1<<62)
		for k := lo; k <= hi; k += step {
			if c := corr(k); c > bestC {
				best, bestC = k, c
			}
		}
		if step > 1 {
			for _, k := range [2]int{best - 1, best + 1} {
				if k >= lo && k <= hi {
					if c := corr(k); c > bestC {
						best, bestC = k, c
					}
				}
			}
		}
		// normalised: c / sqrt(e), kept as a Q8 value of its scale
		norm := bestC
		if norm > 0 {
			norm = int64(normalisedCorrelation(bestC, energy(best)))
		}
		return best, norm
	}
	t1, r1 := bestIn(80, 143, 2)
	t2, r2 := bestIn(40, 79, 1)
	t3, r3 := bestIn(20, 39, 1)
	top, r := t1, r1
	if r2*100 >= r*85 {
		top, r = t2, r2
	}
	if r3*100 >= r*85 {
		top = t3
	}
	return top
}

// normalisedCorrelation is c/sqrt(e) in integers, for c >= 0.
func normalisedCorrelation(c, e int64) int64 {
	s := int64(isqrt64(uint64(e)))
	if s == 0 {
		return 0
	}
	return c / s
}

// closedLoopPitch finds the delay (integer and thirds) in [tmin, tmax]
// whose adaptive vector, through h, best correlates with x. As Annex A
// does, the correlation is taken as Σ v(n)·d(n) with d the target filtered
// backwards through h, so no candidate needs a convolution: integer delays
// on the past excitation repeated, then the thirds around the best on the
// interpolated vectors the decoder will build. scratch is the excitation
// (past first) those are built in; at is where the subframe starts. The
// chosen delay's vector is left in vec.
func closedLoopPitch(vec *[subframe]int16, x *[subframe]int32, h *[subframe]int16, exc []int16, at int, scratch []int16,
	tmin, tmax int) (t, frac int) {
	var d [subframe]int64
	for n := range subframe {
		var acc int64
		for j := n; j < subframe; j++ {
			acc += int64(x[j]) * int64(h[j-n])
		}
		d[n] = acc >> 12
	}
	t = tmin
	var best int64
	for k := tmin; k <= tmax; k++ {
		var c int64
		for n := range subframe {
			// u(n-k), the past repeated for delays under the subframe.
			m := n - k
			for m >= 0 {
				m -= k
			}
			c += int64(exc[at+m]) * d[n]
		}
		if k == tmin || c > best {
			t, best = k, c
		}
	}
	copy(scratch[:at], exc[:at])
	score := func(f int) int64 {
		adaptiveVector(scratch, at, subframe, t, f)
		var c int64
		for n := range subframe {
			c += int64(scratch[at+n]) * d[n]
		}
		return c
	}
	best, frac = score(0), 0
	copy(vec[:], scratch[at:at+subframe])
	for _, f := range [2]int{-1, 1} {
		if f == -1 && t <= pitchMin {
			continue
		}
		if c := score(f); c > best {
			frac, best = f, c
			copy(vec[:], scratch[at:at+subframe])
		}
	}
	return t, frac
}

// algebraicSearch picks the four pulses and their signs for the target
// x2 through h2 (h with the pitch sharpening in it), maximising C²/E with
// the sign of each position fixed beforehand by the backward-filtered
// target. Our own pruning, in place of Annex A's depth-first tree: every
// combination of the first three tracks (512) is scored, and the best
// few are completed with each of the 16 positions of the fourth.
func algebraicSearch(x2 *[subframe]int32, h2 *[subframe]int16, phi *[subframe][subframe]int32) (c, s int) {
	var d [subframe]int64
	var maxD int64
	for n := range subframe {
		var acc int64
		for j := n; j < subframe; j++ {
			acc += int64(x2[j]) * int64(h2[j-n])
		}
		d[n] = acc
		maxD = max(maxD, acc, -acc)
	}
	// Correlation matrix of h2: Φ(i,j) = Σ_{m=0}^{39-j} h(m)h(m+j-i) for
	// j >= i, a running sum along each diagonal.
	for diag := 0; diag < subframe; diag++ {
		var acc int64
		for m := 0; m+diag < subframe; m++ {
			acc += int64(h2[m]) * int64(h2[m+diag])
			j := subframe - 1 - m // Σ up to m = 39-j
			phi[j-diag][j] = int32(acc >> 8)
		}
	}
	// |Φ(i,j)| <= sqrt(Φ(i,i)·Φ(j,j)) <= Φ(0,0), the whole energy of h2.
	maxPhi := int64(phi[0][0])
	dShift := shiftToFit(maxD, 13)
	pShift := shiftToFit(maxPhi, 13)
	var dd [subframe]int32
	var sign [subframe]int32
	for n := range subframe {
		sign[n] = 1
		if d[n] < 0 {
			sign[n] = -1
		}
		dd[n] = int32((d[n] * int64(sign[n])) >> dShift)
	}
	for i := range subframe {
		for j := i; j < subframe; j++ {
			v := int32(int64(phi[i][j]) >> pShift)
			v *= sign[i] * sign[j]
			if i == j {
				v /= 2 // E/2 = Σ diag/2 + Σ cross
			}
			phi[i][j] = v
			phi[j][i] = v
		}
	}

	// The first three tracks, all 512, keeping the best few.
	const keep = 6
	type partial struct {
		pos  [3]int
		c, e int64
	}
	var top [keep]partial
	n := 0
	better := func(c1, e1, c2, e2 int64) bool { return c1*c1*e2 > c2*c2*e1 }
	for i0 := 0; i0 < subframe; i0 += 5 {
		c0, e0 := int64(dd[i0]), int64(phi[i0][i0])
		for i1 := 1; i1 < subframe; i1 += 5 {
			c1 := c0 + int64(dd[i1])
			e1 := e0 + int64(phi[i1][i1]) + int64(phi[i0][i1])
			for i2 := 2; i2 < subframe; i2 += 5 {
				c2 := c1 + int64(dd[i2])
				e2 := max(e1+int64(phi[i2][i2])+int64(phi[i0][i2])+int64(phi[i1][i2]), 1)
				if n == keep && !better(c2, e2, top[keep-1].c, top[keep-1].e) {
					continue
				}
				k := min(n, keep-1)
				for k > 0 && better(c2, e2, top[k-1].c, top[k-1].e) {
					if k < keep {
						top[k] = top[k-1]
					}
					k--
				}
				top[k] = partial{[3]int{i0, i1, i2}, c2, e2}
				n = min(n+1, keep)
			}
		}
	}
	var best [4]int
	bestC, bestE := int64(-1), int64(1)
	for _, p := range top[:n] {
		for _, i3 := range track3 {
			c3 := p.c + int64(dd[i3])
			e3 := max(p.e+int64(phi[i3][i3])+int64(phi[p.pos[0]][i3])+int64(phi[p.pos[1]][i3])+int64(phi[p.pos[2]][i3]), 1)
			if bestC < 0 || better(c3, e3, bestC, bestE) {
				bestC, bestE = c3, e3
				best = [4]int{p.pos[0], p.pos[1], p.pos[2], i3}
			}
		}
	}
	j3 := 2*(best[3]/5) + (best[3]%5 - 3)
	c = best[0]/5 + 8*(best[1]/5) + 64*(best[2]/5) + 512*j3
	for k, p := range best {
		if sign[p] > 0 {
			s |= 1 << uint(k)
		}
	}
	return c, s
}

// track3 is the fourth pulse's 16 positions, 3, 8 ... 38 and 4, 9 ... 39.
var track3 = [16]int{3, 4, 8, 9, 13, 14, 18, 19, 23, 24, 28, 29, 33, 34, 38, 39}

// shiftToFit is the right shift that brings m under 2^b.
func shiftToFit(m int64, b int) uint {
	s := uint(0)
	for m>>s >= 1<<b {
		s++
	}
	return s
}

// gainSearch picks GA and GB (transmitted indices) minimising the
// weighted error of gp·y + gc·z against x, over all 128 pairs (the
// Recommendation's pre-selection only saves time). pred is the
// predicted fixed gain (Q16); z is Q13-scaled (from a Q13 code).
func gainSearch(x, y, z *[subframe]int32, pred int64) (ga, gb int) {
	var xy, yy, xz, zz, yz int64
	for n := range subframe {
		xy += int64(x[n]) * int64(y[n])
		yy += int64(y[n]) * int64(y[n])
		xz += int64(x[n]) * int64(z[n])
		zz += int64(z[n]) * int64(z[n])
		yz += int64(y[n]) * int64(z[n])
	}
	m := max(abs64(xy), yy, abs64(xz), zz, abs64(yz))
	sh := shiftToFit(m, 30)
	xy, yy, xz, zz, yz = xy>>sh, yy>>sh, xz>>sh, zz>>sh, yz>>sh
	bestErr := int64(0)
	first := true
	for a := range gainCodebookA {
		for b := range gainCodebookB {
			gp := int64(gainCodebookA[a][0]) + int64(gainCodebookB[b][0]) // Q14
			gamma := int64(gainCodebookA[a][1]) + int64(gainCodebookB[b][1])
			gc := int64(sat16of64(roundShift(pred*gamma, 28))) // Q1
			// Σ(gp·y + gc·z)² - 2Σx(gp·y + gc·z), with gc·z in Q14 like gp·y.
			e := (gp*gp*yy+gc*gc*zz+2*gp*gc*yz)>>28 - (gp*xy+gc*xz)>>13
			if first || e < bestErr {
				bestErr, ga, gb, first = e, int(gainMapA[a]), int(gainMapB[b]), false
			}
		}
	}
	return ga, gb
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
