package g729

import "math/bits"

// LP analysis at the encoder (§3.2.1 to §3.2.3): the 240-sample window
// over the past, the frame and 5 ms of look-ahead, autocorrelation with
// the lag window, Levinson-Durbin, and the LSPs by a search for the
// roots of F1 and F2 on a grid of cosines.

const windowLen = 240

// autocorrelate is r[0..10] of the windowed speech, normalised so r[0] is
// just under 2^28, with the white-noise correction (r[0]·1.0001) and the
// lag window applied.
func autocorrelate(r *[order + 1]int64, speech *[windowLen]int16) {
	var w [windowLen]int64
	for i, s := range speech {
		w[i] = (int64(s)*int64(lpWindow[i]) + 1<<14) >> 15
	}
	for k := 0; k <= order; k++ {
		var acc int64
		for n := k; n < windowLen; n++ {
			acc += w[n] * w[n-k]
		}
		r[k] = acc
	}
	if r[0] == 0 {
		r[0] = 1
	}
	r[0] += r[0] >> 13 // ≈ 1.0001: a 40 dB noise floor keeps the solution well conditioned
	shift := bits.Len64(uint64(r[0])) - 28
	for k := range r {
		if shift > 0 {
			r[k] >>= uint(shift)
		} else {
			r[k] <<= uint(-shift)
		}
	}
	for k := 1; k <= order; k++ {
		lag := int64(lagWindowHi[k-1])<<16 + int64(lagWindowLo[k-1])<<1 // Q31
		r[k] = (r[k] * lag) >> 31
	}
}

// levinson solves for the LP coefficients (Q12); it reports false for an
// unstable result (a reflection coefficient at or over 1), which the
// caller replaces by the last frame's.
func levinson(a *[order + 1]int16, r *[order + 1]int64) bool {
	const one = 1 << 24 // Q24
	var c, prev [order + 1]int64
	c[0] = one
	e := r[0]
	for i := 1; i <= order; i++ {
		var acc int64
		for j := 0; j < i; j++ {
			acc += c[j] * r[i-j] >> 8 // Q24·(r < 2^28) kept under 2^63
		}
		if e <= 0 {
			return false
		}
		k := -(acc << 8) / e // Q24
		if k >= one || k <= -one {
			return false
		}
		prev = c
		for j := 1; j < i; j++ {
			c[j] = prev[j] + (k*prev[i-j])>>24
		}
		c[i] = k
		e -= (e * ((k * k) >> 24)) >> 24
	}
	a[0] = 4096
	for i := 1; i <= order; i++ {
		v := roundShift(c[i], 12)
		if v > 32767 || v < -32768 {
			return false
		}
		a[i] = int16(v)
	}
	return true
}

// lpToLSP finds the LSPs (Q15) of a (Q12) as the roots of F1 and F2 in
// cos ω, alternately, on lspSearchGrid, each refined by bisection and
// linear interpolation. It reports false when it finds fewer than ten.
func lpToLSP(q *[order]int16, a *[order + 1]int16) bool {
	var f [2][6]int64 // Q12
	f[0][0], f[1][0] = 4096, 4096
	for i := 1; i <= 5; i++ {
		f[0][i] = int64(a[i]) + int64(a[order+1-i]) - f[0][i-1]
		f[1][i] = int64(a[i]) - int64(a[order+1-i]) + f[1][i-1]
	}
	found, poly := 0, 0
	xlo := int64(lspSearchGrid[0])
	ylo := chebyshev(&f[poly], xlo)
	for j := 1; j < len(lspSearchGrid) && found < order; j++ {
		xhi := int64(lspSearchGrid[j])
		yhi := chebyshev(&f[poly], xhi)
		if (ylo < 0) == (yhi < 0) && ylo != 0 {
			xlo, ylo = xhi, yhi
			continue
		}
		// A root between xhi and xlo: bisect four times, then interpolate.
		for range 4 {
			xm := (xlo + xhi) / 2
			ym := chebyshev(&f[poly], xm)
			if (ylo < 0) == (ym < 0) && ylo != 0 {
				xlo, ylo = xm, ym
			} else {
				xhi, yhi = xm, ym
			}
		}
		x := xlo
		if ylo != yhi {
			x = xlo - ylo*(xhi-xlo)/(yhi-ylo)
		}
		q[found] = int16(x)
		found++
		poly ^= 1
		xlo = x
		ylo = chebyshev(&f[poly], xlo)
		j-- // the next grid point again, for the other polynomial
	}
	return found == order
}

// chebyshev is C(x) = T5(x) + f1·T4(x) + ... + f4·T1(x) + f5/2 (x Q15,
// f Q12), by Clenshaw's recurrence, in Q12.
func chebyshev(f *[6]int64, x int64) int64 {
	var b1, b2 int64
	for n := 0; n < 5; n++ { // α5 = f[0] ... α1 = f[4]
		b0 := f[n] + (2*x*b1)>>15 - b2
		b2, b1 = b1, b0
	}
	return f[5]/2 + (x*b1)>>15 - b2
}
