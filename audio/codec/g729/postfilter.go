package g729

// Annex A's adaptive post-filter (§A.4.2): long-term (harmonic) filter on
// the residual of A(z/γn), the short-term filter 1/A(z/γd), tilt
// compensation and adaptive gain control, one subframe at a time.

const (
	gammaN     = 18022 // 0.55, Q15
	gammaD     = 22938 // 0.70, Q15
	gammaP     = 16384 // 0.5, Q15: the long-term filter's weight
	gammaT     = 26214 // 0.8, Q15: tilt compensation
	agcKeep    = 27853 // 0.85, Q15
	impulseLen = 22
	resHistory = pitchMax + 4 // residual the long-term search reaches back to
)

type postFilter struct {
	res      [resHistory + subframe]int16 // residual of A(z/γn), history first
	synthMem [order]int16                 // 1/A(z/γd) memory
	tiltMem  int16                        // last input of the tilt filter
	agcGain  int32                        // Q14, the smoothed gain g(n)
}

func newPostFilter() postFilter { return postFilter{agcGain: 1 << 14} }

// run filters the subframe synth[at:at+40] (ten past samples before at)
// with a the subframe's LP coefficients and t its integer pitch delay,
// into out.
func (p *postFilter) run(out []int16, synth []int16, at int, a *[order + 1]int16, t int) {
	var an, ad [order + 1]int16
	weightLP(&an, a, gammaN)
	weightLP(&ad, a, gammaD)

	r := p.res[resHistory:]
	residual(r, synth, at, subframe, &an)

	var ltp [subframe]int16
	p.longTerm(ltp[:], min(t, pitchMax))

	// Tilt: k1' = -rh(1)/rh(0) of A(z/γn)/A(z/γd)'s impulse response;
	// only a low-pass tilt (k1' < 0) is compensated.
	var h [impulseLen]int16
	impulseResponse(&h, &an, &ad)
	var rh0, rh1 int64
	for i := range impulseLen {
		rh0 += int64(h[i]) * int64(h[i])
		if i+1 < impulseLen {
			rh1 += int64(h[i]) * int64(h[i+1])
		}
	}
	var mu int32 // γt·|k1'| in Q15 when compensating
	if rh1 > 0 && rh0 > 0 {
		mu = int32(int64(gammaT) * min(rh1, rh0) / rh0)
	}
	for n := range subframe {
		x := ltp[n]
		ltp[n] = sat16(int32(x) - (int32(p.tiltMem)*mu+1<<14)>>15)
		p.tiltMem = x
	}

	synthesise(out[:subframe], ltp[:], &ad, &p.synthMem)
	p.gainControl(out[:subframe], synth[at:at+subframe])

	copy(p.res[:resHistory], p.res[subframe:])
}

// longTerm is Annex A's harmonic post-filter: the integer delay within 3
// of t that best correlates the residual with its past, applied with
// weight γp·g when the prediction gain is over 3 dB.
func (p *postFilter) longTerm(out []int16, t int) {
	r := p.res[resHistory:]
	best, bestCorr := 0, int64(-1)
	lo, hi := max(t-3, pitchMin), min(t+3, resHistory)
	for k := lo; k <= hi; k++ {
		var c int64
		for n := range subframe {
			c += int64(r[n]) * int64(p.res[resHistory+n-k])
		}
		if c > bestCorr {
			best, bestCorr = k, c
		}
	}
	copy(out, r)
	if bestCorr <= 0 {
		return
	}
	var e0, ek int64
	for n := range subframe {
		e0 += int64(r[n]) * int64(r[n])
		d := int64(p.res[resHistory+n-best])
		ek += d * d
	}
	if ek == 0 || e0 == 0 {
		return
	}
	// Off below 3 dB of prediction gain: R(k)² < 0.5·R(0)·E(k).
	if lowPredictionGain(bestCorr, e0, ek) {
		return
	}
	g := min(bestCorr*32768/ek, 32768) // Q15, at most 1
	w := g * gammaP >> 15              // γp·g, Q15
	norm := int64(32768) + w           // 1 + γp·g
	for n := range subframe {
		v := (int64(r[n])<<15 + w*int64(p.res[resHistory+n-best])) / norm
		out[n] = sat16of64(v)
	}
}

// lowPredictionGain reports R² < 0.5·E0·Ek without floating point, by dividing
// first (the values may be near 2^40).
func lowPredictionGain(corr, e0, ek int64) bool {
	// corr²/ek < e0/2  ⇔  corr·(corr/ek) < e0/2, done in 128-bit-safe steps.
	q := corr * 1024 / ek // Q10 of corr/ek (corr <= sqrt(e0·ek) keeps it sane)
	return (corr>>10)*q < e0/2
}

// impulseResponse is the first samples of A(z/γn)/A(z/γd)'s response.
func impulseResponse(h *[impulseLen]int16, an, ad *[order + 1]int16) {
	var x [impulseLen]int16
	for i := 0; i <= order; i++ {
		x[i] = an[i] // the numerator's response, Q12
	}
	var mem [order]int16
	synthesise(h[:], x[:], ad, &mem)
}

// gainControl scales out so its energy follows in's, smoothly: G is
// sqrt(Σin²/Σout²) for the subframe and g(n) = 0.85·g(n-1) + 0.15·G.
func (p *postFilter) gainControl(out, in []int16) {
	var eIn, eOut uint64
	for n := range out {
		eIn += uint64(int64(in[n]) * int64(in[n]))
		eOut += uint64(int64(out[n]) * int64(out[n]))
	}
	var target int64 // Q14
	if eOut > 0 && eIn > 0 {
		target = int64(isqrt64((eIn << 28) / eOut)) // sqrt of a Q28 ratio is Q14
		if eIn > 1<<34 {                            // keep the shift from overflowing
			target = int64(isqrt64(eIn/eOut)) << 14
		}
	}
	g := int64(p.agcGain)
	for n := range out {
		g = (g*agcKeep + target*(32768-agcKeep)) >> 15
		out[n] = sat16of64((int64(out[n])*g + 1<<13) >> 14)
	}
	p.agcGain = int32(g)
}
