package g729

import "math/bits"

// Saturating fixed-point helpers. The codec keeps its signals in 16 bits
// and its sums in 32 (or, where a 40-sample energy may exceed 32 bits,
// 64); these clamp instead of wrapping, as a DSP's saturating arithmetic
// would, so an overload distorts the sound rather than flipping its sign.

// sat16 clamps x to the int16 range.
func sat16(x int32) int16 {
	if x > 32767 {
		return 32767
	}
	if x < -32768 {
		return -32768
	}
	return int16(x)
}

// sat16of64 clamps a 64-bit x to the int16 range.
func sat16of64(x int64) int16 {
	if x > 32767 {
		return 32767
	}
	if x < -32768 {
		return -32768
	}
	return int16(x)
}

// sat32 clamps x to the int32 range.
func sat32(x int64) int32 {
	if x > 2147483647 {
		return 2147483647
	}
	if x < -2147483648 {
		return -2147483648
	}
	return int32(x)
}

// mulQ15 is a*b for a Q15 factor b, rounded, saturated to 16 bits.
func mulQ15(a, b int16) int16 { return sat16((int32(a)*int32(b) + 1<<14) >> 15) }

// roundShift is x / 2^s rounded to nearest (s > 0).
func roundShift(x int64, s uint) int64 { return (x + 1<<(s-1)) >> s }

// log2Q16 is log2(x) in Q16 for x > 0 (x <= 0 gives the log of 1): the
// exponent from the leading bit, the mantissa's log from log2Table by
// linear interpolation.
func log2Q16(x uint64) int32 {
	if x == 0 {
		return 0
	}
	e := 63 - bits.LeadingZeros64(x)
	// m: the 15 bits after the leading one.
	var m uint64
	if e >= 15 {
		m = (x >> uint(e-15)) & 0x7fff
	} else {
		m = (x << uint(15-e)) & 0x7fff
	}
	i := m >> 10             // table index, 0..31
	frac := int32(m & 0x3ff) // Q10 position between the two points
	lo, hi := int32(log2Table[i]), int32(log2Table[i+1])
	mant := lo + ((hi-lo)*frac)>>10 // Q15
	return int32(e)<<16 + mant<<1
}

// pow2Q16 is 2^(y/65536) as a value with q fractional bits (saturated to
// the int64 range the caller can use; y is bounded to keep it sane).
func pow2Q16(y int32, q uint) int64 {
	ip := int(y >> 16) // floor
	f := uint32(y) & 0xffff
	i := f >> 11             // 0..31
	frac := int32(f & 0x7ff) // Q11
	lo, hi := int32(pow2Table[i]), int32(pow2Table[i+1])
	mant := int64(lo + ((hi-lo)*frac)>>11) // Q14, 1..2
	sh := ip + int(q) - 14
	switch {
	case sh > 40:
		return mant << 40
	case sh >= 0:
		return mant << uint(sh)
	case sh > -62:
		return mant >> uint(-sh)
	}
	return 0
}

// isqrt64 is floor(sqrt(x)).
func isqrt64(x uint64) uint64 {
	if x == 0 {
		return 0
	}
	r := uint64(1) << ((bits.Len64(x) + 1) / 2)
	for {
		n := (r + x/r) / 2
		if n >= r {
			break
		}
		r = n
	}
	for r*r > x {
		r--
	}
	return r
}

// rng16 is the 16-bit linear congruential generator the Recommendation
// uses for the random parts of concealment and comfort noise.
type rng16 struct{ seed uint16 }

func (r *rng16) next() int16 {
	r.seed = r.seed*31821 + 13849
	return int16(r.seed)
}
