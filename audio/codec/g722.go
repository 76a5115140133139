package codec

import "fmt"

// G.722 (ITU-T G.722, 09/2012) at 64 kbit/s (mode 1): 16 kHz PCM is split
// by a 24-tap QMF into a lower and a higher sub-band at 8 kHz each; the
// lower band is coded with 6-bit and the higher band with 2-bit adaptive
// differential PCM (SB-ADPCM), one byte per pair of input samples. The RTP
// clock runs at 8000 Hz although the audio is 16 kHz (RFC 3551 4.5.2).
//
// The block names in the comments (ENCODE, INVQAL, LOGSCL, UPPOL2, ...)
// are the ones of the recommendation's section 6.

// G722 is the G.722 codec at 64 kbit/s.
var G722 Codec = g722Codec{}

type g722Codec struct{}

func (g722Codec) Info() Info {
	return Info{Name: "G722", PayloadType: 9, Static: true, ClockRate: 8000, SampleRate: 16000, Channels: 1}
}
func (g722Codec) NewEncoder() (Encoder, error) { return NewG722Encoder(), nil }
func (g722Codec) NewDecoder() (Decoder, error) { return NewG722Decoder(), nil }

// QMF coefficients h0..h11 (the other twelve mirror them); each
// half sums to 4096.
var qmfCoef = [12]int{3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11}

// Lower band quantizer decision levels (Table 12) for the magnitude index.
var q6 = [31]int{0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714,
	786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0}

// Codes for negative (iln) and positive (ilp) differences by magnitude index.
var (
	iln = [32]int{0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
		18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0}
	ilp = [32]int{0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
		46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0}
)

// Inverse quantizer outputs: 6-bit (qm6), 4-bit (qm4, the predictor's
// truncated code) for the lower band, 2-bit (qm2) for the higher band.
var (
	qm6 = [64]int{-136, -136, -136, -136, -24808, -21904, -19008, -16704,
		-14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
		-7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576,
		-3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
		24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192,
		10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
		4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032,
		1688, 1360, 1040, 728, 432, 136, -432, -136}
	qm4 = [16]int{0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
		20456, 12896, 8968, 6288, 4240, 2584, 1200, 0}
	qm2 = [4]int{-7408, -1616, 7408, 1616}
)

// Log scale factor multipliers: lower band by 4-bit magnitude (wl via
// rl42), higher band by 2-bit magnitude (wh via rh2).
var (
	wl   = [8]int{-60, -30, 58, 172, 334, 538, 1198, 3042}
	rl42 = [16]int{0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0}
	wh   = [3]int{0, -214, 798}
	ihn  = [3]int{0, 1, 0} // higher band codes by magnitude index, negative
	ihp  = [3]int{0, 3, 2} // and positive
	rh2  = [4]int{2, 1, 2, 1}
)

// Antilog table for the scale factors (ILB), 2^(i/32) scaled by 2048.
var ilb = [32]int{2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599,
	2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371,
	3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008}

func sat16(x int) int {
	if x > 32767 {
		return 32767
	}
	if x < -32768 {
		return -32768
	}
	return x
}

// band is the adaptive predictor and scale factor state of one sub-band.
type band struct {
	s   int    // predicted signal (PREDIC)
	sp  int    // pole section output (FILTEP)
	sz  int    // zero section output (FILTEZ)
	r   [3]int // reconstructed signal r(n), r(n-1), r(n-2)
	a   [3]int // pole coefficients a1, a2 (index 0 unused)
	p   [3]int // partial reconstructed p(n), p(n-1), p(n-2)
	d   [7]int // quantized differences d(n)..d(n-6)
	b   [7]int // zero coefficients b1..b6 (index 0 unused)
	nb  int    // log scale factor
	det int    // scale factor
}

// update runs the predictor adaptation (RECONS, PARREC, UPPOL2, UPPOL1,
// UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC) for the quantized difference dq.
func (b *band) update(dq int) {
	b.d[0] = dq
	b.r[0] = sat16(b.s + dq)  // RECONS
	b.p[0] = sat16(b.sz + dq) // PARREC

	// UPPOL2: a2 leaks towards zero and follows the sign agreement of p.
	sg0, sg1, sg2 := b.p[0]>>15, b.p[1]>>15, b.p[2]>>15
	wd1 := sat16(b.a[1] * 4)
	wd2 := wd1
	if sg0 == sg1 {
		wd2 = -wd1
	}
	if wd2 > 32767 {
		wd2 = 32767
	}
	wd3 := -128
	if sg0 == sg2 {
		wd3 = 128
	}
	wd3 += wd2 >> 7
	wd3 += (b.a[2] * 32512) >> 15
	if wd3 > 12288 {
		wd3 = 12288
	} else if wd3 < -12288 {
		wd3 = -12288
	}
	ap2 := wd3

	// UPPOL1, limited by 1 - 2^-4 - a2 for stability.
	wd1 = -192
	if sg0 == sg1 {
		wd1 = 192
	}
	ap1 := sat16(wd1 + (b.a[1]*32640)>>15)
	lim := sat16(15360 - ap2)
	if ap1 > lim {
		ap1 = lim
	} else if ap1 < -lim {
		ap1 = -lim
	}

	// UPZERO: sign-sign update of the six zero coefficients.
	step := 128
	if dq == 0 {
		step = 0
	}
	sgd := dq >> 15
	var bp [7]int
	for i := 1; i <= 6; i++ {
		g := -step
		if b.d[i]>>15 == sgd {
			g = step
		}
		bp[i] = sat16(g + (b.b[i]*32640)>>15)
	}

	// DELAYA
	for i := 6; i >= 1; i-- {
		b.d[i] = b.d[i-1]
		b.b[i] = bp[i]
	}
	b.r[2], b.r[1] = b.r[1], b.r[0]
	b.p[2], b.p[1] = b.p[1], b.p[0]
	b.a[1], b.a[2] = ap1, ap2

	// FILTEP
	b.sp = sat16((b.a[1]*sat16(b.r[1]*2))>>15 + (b.a[2]*sat16(b.r[2]*2))>>15)
	// FILTEZ
	sz := 0
	for i := 6; i >= 1; i-- {
		sz += (b.b[i] * sat16(b.d[i]*2)) >> 15
	}
	b.sz = sat16(sz)
	// PREDIC
	b.s = sat16(b.sp + b.sz)
}

// scale returns det from the log scale factor nb (SCALEL, SCALEH); shift
// is 8 for the lower band and 10 for the higher band.
func scale(nb, shift int) int {
	wd1 := (nb >> 6) & 31
	wd2 := shift - (nb >> 11)
	var wd3 int
	if wd2 < 0 {
		wd3 = ilb[wd1] << -wd2
	} else {
		wd3 = ilb[wd1] >> wd2
	}
	return wd3 << 2
}

// adaptLow updates the lower band's scale factor from the 4-bit code
// (LOGSCL, SCALEL) and its predictor from dq.
func (b *band) adaptLow(ril, dq int) {
	nb := (b.nb*127)>>7 + wl[rl42[ril]]
	if nb < 0 {
		nb = 0
	} else if nb > 18432 {
		nb = 18432
	}
	b.nb = nb
	b.det = scale(nb, 8)
	b.update(dq)
}

// adaptHigh is LOGSCH, SCALEH and the predictor update for the higher band.
func (b *band) adaptHigh(ih, dq int) {
	nb := (b.nb*127)>>7 + wh[rh2[ih]]
	if nb < 0 {
		nb = 0
	} else if nb > 22528 {
		nb = 22528
	}
	b.nb = nb
	b.det = scale(nb, 10)
	b.update(dq)
}

// G722Encoder is one G.722 encoder; it keeps state across frames.
type G722Encoder struct {
	x         [24]int // QMF delay line, oldest first
	low, high band
}

// NewG722Encoder returns an encoder in the reset state.
func NewG722Encoder() *G722Encoder {
	e := &G722Encoder{}
	e.low.det, e.high.det = 32, 8
	return e
}

// Encode codes pcm (16 kHz, an even number of samples) into len(pcm)/2
// bytes of dst.
func (e *G722Encoder) Encode(dst []byte, pcm []int16) (int, error) {
	if len(pcm)%2 != 0 {
		return 0, fmt.Errorf("g722 encode: %d samples, need an even number", len(pcm))
	}
	if len(dst) < len(pcm)/2 {
		return 0, fmt.Errorf("g722 encode: dst holds %d bytes, need %d", len(dst), len(pcm)/2)
	}
	for j := 0; j < len(pcm); j += 2 {
		// Transmit QMF: the even and odd phases of the 24-tap filter.
		copy(e.x[:22], e.x[2:])
		e.x[22], e.x[23] = int(pcm[j]), int(pcm[j+1])
		var xa, xb int
		for i := 0; i < 12; i++ {
			xb += e.x[2*i] * qmfCoef[i]
			xa += e.x[2*i+1] * qmfCoef[11-i]
		}
		xl := (xa + xb) >> 14
		xh := (xa - xb) >> 14

		// Lower band: SUBTRA, QUANTL.
		el := sat16(xl - e.low.s)
		m := el
		if el < 0 {
			m = -(el + 1)
		}
		i := 1
		for ; i < 30; i++ {
			if m < (q6[i]*e.low.det)>>12 {
				break
			}
		}
		il := ilp[i]
		if el < 0 {
			il = iln[i]
		}
		// INVQAL with the 4-bit code, then adaptation.
		ril := il >> 2
		e.low.adaptLow(ril, (e.low.det*qm4[ril])>>15)

		// Higher band: SUBTRA, QUANTH.
		eh := sat16(xh - e.high.s)
		m = eh
		if eh < 0 {
			m = -(eh + 1)
		}
		mih := 1
		if m >= (564*e.high.det)>>12 {
			mih = 2
		}
		ih := ihp[mih]
		if eh < 0 {
			ih = ihn[mih]
		}
		e.high.adaptHigh(ih, (e.high.det*qm2[ih])>>15)

		dst[j/2] = byte(ih<<6 | il)
	}
	return len(pcm) / 2, nil
}

// G722Decoder is one G.722 decoder (64 kbit/s); it keeps state across
// payloads.
type G722Decoder struct {
	x         [24]int // receive QMF delay line
	low, high band
}

// NewG722Decoder returns a decoder in the reset state.
func NewG722Decoder() *G722Decoder {
	d := &G722Decoder{}
	d.low.det, d.high.det = 32, 8
	return d
}

// Decode turns each payload byte into two 16 kHz samples.
func (d *G722Decoder) Decode(dst []int16, payload []byte) (int, error) {
	if len(dst) < 2*len(payload) {
		return 0, fmt.Errorf("g722 decode: dst holds %d samples, need %d", len(dst), 2*len(payload))
	}
	for k, code := range payload {
		il := int(code) & 0x3f
		ih := int(code) >> 6

		// Lower band: INVQBL (6-bit) for the output, INVQAL (4-bit) for
		// the predictor.
		rl := d.low.s + (d.low.det*qm6[il])>>15
		if rl > 16383 {
			rl = 16383
		} else if rl < -16384 {
			rl = -16384
		}
		ril := il >> 2
		d.low.adaptLow(ril, (d.low.det*qm4[ril])>>15)

		// Higher band.
		dh := (d.high.det * qm2[ih]) >> 15
		rh := d.high.s + dh
		if rh > 16383 {
			rh = 16383
		} else if rh < -16384 {
			rh = -16384
		}
		d.high.adaptHigh(ih, dh)

		// Receive QMF.
		copy(d.x[:22], d.x[2:])
		d.x[22], d.x[23] = rl+rh, rl-rh
		var x1, x2 int
		for i := 0; i < 12; i++ {
			x2 += d.x[2*i] * qmfCoef[i]
			x1 += d.x[2*i+1] * qmfCoef[11-i]
		}
		dst[2*k] = int16(sat16(x1 >> 11))
		dst[2*k+1] = int16(sat16(x2 >> 11))
	}
	return 2 * len(payload), nil
}
