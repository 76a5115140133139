package g729

// Filters on 16-bit signals with LP coefficients in Q12 (a[0] = 4096).

// synthesise runs 1/A(z) over x (at most a subframe) into y (may be the
// same slice), mem holding the last ten outputs, oldest first. It reports whether any
// output had to be clamped.
func synthesise(y, x []int16, a *[order + 1]int16, mem *[order]int16) (overflow bool) {
	var hist [order + subframe]int16
	copy(hist[:order], mem[:])
	for n := range x {
		acc := int64(x[n]) << 12
		for i := 1; i <= order; i++ {
			acc -= int64(a[i]) * int64(hist[order+n-i])
		}
		v := roundShift(acc, 12)
		if v > 32767 || v < -32768 {
			overflow = true
		}
		hist[order+n] = sat16of64(v)
		y[n] = hist[order+n]
	}
	copy(mem[:], hist[len(x):len(x)+order])
	return overflow
}

// residual runs A(z) over x[at:at+n] into r, x holding ten past samples
// before at.
func residual(r []int16, x []int16, at, n int, a *[order + 1]int16) {
	for j := range r[:n] {
		w := (*[order + 1]int16)(x[at+j-order : at+j+1]) // w[order] is x[at+j]
		acc := int64(0)
		for i, c := range a {
			acc += int64(c) * int64(w[order-i])
		}
		r[j] = sat16of64(roundShift(acc, 12))
	}
}

// biquad is a second-order IIR section, y = b·x + a1·y1 + a2·y2 with the
// coefficients in Q(shift): the pre- and post-processing high-passes.
type biquad struct {
	b      [3]int16
	a      [3]int16 // a[0] is 1.0; a[1], a[2] are added
	shift  uint
	gain   uint // extra left shift of the output (the post-processing's ×2)
	x1, x2 int32
	y1, y2 int64 // Q(shift) outputs, kept precise
}

func (f *biquad) run(out, in []int16) {
	for n, s := range in {
		x := int32(s)
		acc := int64(f.b[0])*int64(x) + int64(f.b[1])*int64(f.x1) + int64(f.b[2])*int64(f.x2)
		acc += (int64(f.a[1])*f.y1 + int64(f.a[2])*f.y2) >> f.shift
		f.x2, f.x1 = f.x1, x
		f.y2, f.y1 = f.y1, acc
		out[n] = sat16of64(roundShift(acc<<f.gain, f.shift))
	}
}
