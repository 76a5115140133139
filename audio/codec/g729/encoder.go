package g729

import "fmt"

// gammaW is Annex A's perceptual weighting factor: W(z) = Â(z)/Â(z/γ).
const gammaW = 24576 // 0.75, Q15

// Encoder encodes 80-sample frames into 10-byte G.729 Annex A frames (no
// VAD: every frame is a voice frame). One stream's state; not safe for
// concurrent use.
type Encoder struct {
	highPass biquad
	speech   [windowLen]int16 // pre-processed: past, the frame at 120..199, look-ahead
	lastA    [order + 1]int16 // the last stable LP analysis, for an unstable one
	lsp      [order]int16     // the last unquantised LSPs (Q15), for a failed root search
	lspQ     [order]int16     // the last quantised LSPs
	lspMem   lspPredictorMemory
	gains    gainPredictor
	sharp    int16 // β, Q14
	exc      [excHistory + FrameSamples]int16
	sw       [pitchMax + 1 + FrameSamples]int16 // weighted speech, past first
	swMem    [order]int16                       // 1/Â(z/γ) memory of sw
	errMem   [order]int16                       // the weighted error's memory (the target's zero-input response)
	scratch  [excHistory + FrameSamples]int16
	dtx      *dtxState // nil: every frame is a voice frame
	phi      [subframe][subframe]int32
}

// NewEncoder makes an encoder in the initial state.
func NewEncoder() *Encoder {
	e := &Encoder{
		highPass: biquad{b: preHighPassB, a: preHighPassA, shift: 12},
		lspMem:   newLSPPredictorMemory(),
		gains:    newGainPredictor(),
		sharp:    3277,
	}
	e.lastA[0] = 4096
	lsfToLSP(&e.lsp, &lspInitialFreqs)
	e.lspQ = e.lsp
	return e
}

// NewEncoderDTX makes an encoder that sends SID frames or nothing in
// silence (dtx.go), for a peer that accepts Annex B (annexb=yes). It
// takes one 80-sample frame per Encode, since a SID may only end a packet.
func NewEncoderDTX() *Encoder {
	e := NewEncoder()
	e.dtx = &dtxState{}
	return e
}

// Encode codes pcm (a multiple of 80 samples) into 10 bytes per 80; with
// DTX, one frame into 10 bytes, a 2-byte SID or nothing.
func (e *Encoder) Encode(dst []byte, pcm []int16) (int, error) {
	if len(pcm) == 0 || len(pcm)%FrameSamples != 0 {
		return 0, fmt.Errorf("g729 encode: %d samples, need a multiple of %d", len(pcm), FrameSamples)
	}
	if e.dtx != nil {
		if len(pcm) != FrameSamples || len(dst) < FrameBytes {
			return 0, fmt.Errorf("g729 encode with DTX: %d samples into %d bytes, need one frame of %d into %d",
				len(pcm), len(dst), FrameSamples, FrameBytes)
		}
		return e.frame(dst[:FrameBytes], pcm), nil
	}
	need := len(pcm) / FrameSamples * FrameBytes
	if len(dst) < need {
		return 0, fmt.Errorf("g729 encode: dst holds %d bytes, need %d", len(dst), need)
	}
	for f := 0; f < len(pcm)/FrameSamples; f++ {
		e.frame(dst[f*FrameBytes:(f+1)*FrameBytes], pcm[f*FrameSamples:(f+1)*FrameSamples])
	}
	return need, nil
}

const frameStart = 120 // the frame's place in the analysis window

// frame codes one frame and returns its length: FrameBytes, or with DTX
// SIDBytes or 0.
func (e *Encoder) frame(out []byte, pcm []int16) int {
	copy(e.speech[:], e.speech[FrameSamples:])
	e.highPass.run(e.speech[windowLen-FrameSamples:], pcm)

	var om [order]int16
	e.analyse(&om)
	if e.dtx != nil {
		if !e.dtx.active(&e.speech) {
			n := e.silenceFrame(out, &om)
			// No excitation of ours in silence (a decoder makes its own
			// noise there): the histories move on over zeros.
			clear(e.exc[excHistory:])
			copy(e.exc[:excHistory], e.exc[FrameSamples:])
			clear(e.sw[pitchMax+1:])
			copy(e.sw[:pitchMax+1], e.sw[FrameSamples:])
			return n
		}
		e.dtx.inactive = false
	}

	var p frameParams
	var aq, aw [2][order + 1]int16
	e.quantise(&p, &aq, &om)
	weightLP(&aw[0], &aq[0], gammaW)
	weightLP(&aw[1], &aq[1], gammaW)

	// Weighted speech for the open-loop pitch: speech through Â(z)/Â(z/γ).
	swAt := pitchMax + 1
	copy(e.sw[:swAt], e.sw[FrameSamples:])
	for s := range 2 {
		var res [subframe]int16
		residual(res[:], e.speech[:], frameStart+s*subframe, subframe, &aq[s])
		synthesise(e.sw[swAt+s*subframe:swAt+(s+1)*subframe], res[:], &aw[s], &e.swMem)
	}
	top := openLoopPitch(e.sw[:], swAt)

	t1 := e.codeSubframe(&p, 0, &aq[0], &aw[0], top, 0)
	e.codeSubframe(&p, 1, &aq[1], &aw[1], top, t1)
	copy(e.exc[:excHistory], e.exc[FrameSamples:])
	p.pack(out)
	return FrameBytes
}

// analyse is the LP analysis of the window: the frame's LSFs (Q13), the
// last good ones when it fails.
func (e *Encoder) analyse(om *[order]int16) {
	var r [order + 1]int64
	var a [order + 1]int16
	autocorrelate(&r, &e.speech)
	if levinson(&a, &r) {
		e.lastA = a
	} else {
		a = e.lastA
	}
	var lsp [order]int16
	if !lpToLSP(&lsp, &a) {
		lsp = e.lsp
	}
	e.lsp = lsp
	for i, q := range lsp {
		om[i] = acosQ15(q)
	}
}

// quantise picks the LSP indices into p and gives the quantised LP
// filters of both subframes, the decoder's own (§3.2.4 to §3.2.6).
func (e *Encoder) quantise(p *frameParams, aq *[2][order + 1]int16, om *[order]int16) {
	quantiseLSF(p, om, &e.lspMem)
	var l, omQ, lspQ, sub [order]int16
	voiceResidual(&l, p.l1, p.l2, p.l3)
	e.lspMem.predict(&omQ, &l, &lspMAPredictor[p.l0], &lspMAPredictorRest[p.l0])
	e.lspMem.push(&l)
	stabilise(&omQ)
	lsfToLSP(&lspQ, &omQ)
	interpolateLSP(&sub, &e.lspQ, &lspQ)
	lspToLP(&aq[0], &sub)
	lspToLP(&aq[1], &lspQ)
	e.lspQ = lspQ
}

// codeSubframe codes subframe s (its quantised and weighted filters aq,
// aw) into p: the adaptive codebook around the open-loop delay top
// (subframe 1) or subframe 1's delay t1 (subframe 2), then the algebraic
// codebook and the gains, leaving the excitation and the weighted
// error's memory as the decoder will have them. It returns the integer
// delay.
func (e *Encoder) codeSubframe(p *frameParams, s int, aq, aw *[order + 1]int16, top, t1 int) int {
	at := excHistory + s*subframe
	// Impulse response of 1/Â(z/γ), Q12.
	var h, imp [subframe]int16
	imp[0] = 4096
	var zmem [order]int16
	synthesise(h[:], imp[:], aw, &zmem)

	// Target: the residual through 1/Â(z/γ) from the error memory.
	var res, x16 [subframe]int16
	residual(res[:], e.speech[:], frameStart+s*subframe, subframe, aq)
	mem := e.errMem
	synthesise(x16[:], res[:], aw, &mem)
	var x [subframe]int32
	for n := range subframe {
		x[n] = int32(x16[n])
	}

	t, _ := e.adaptiveCodebook(p, s, &x, &h, top, t1)
	var y [subframe]int32
	convolve(&y, e.exc[at:at+subframe], &h)
	gpOpt := optimalGain(&x, &y) // Q14, bounded [0, 1.2]

	// Fixed codebook on the target less the adaptive part.
	var x2 [subframe]int32
	for n := range subframe {
		x2[n] = x[n] - int32((int64(gpOpt)*int64(y[n])+1<<13)>>14)
	}
	h2 := h
	if t < subframe {
		for n := t; n < subframe; n++ {
			h2[n] = sat16(int32(h2[n]) + (int32(h2[n-t])*int32(e.sharp)+1<<13)>>14)
		}
	}
	c, sg := algebraicSearch(&x2, &h2, &e.phi)
	var code [subframe]int16
	fixedVector(&code, c, sg)
	if t < subframe {
		sharpen(&code, t, e.sharp)
	}
	var z [subframe]int32
	convolve(&z, code[:], &h)

	// Gains, then the decoder's own gain decoding for the same state.
	ga, gb := gainSearch(&x, &y, &z, e.gains.predicted(&code))
	gp, gc := e.gains.decodeGains(ga, gb, &code)
	e.sharp = pitchSharpening(gp)
	if s == 0 {
		p.c1, p.s1, p.ga1, p.gb1 = c, sg, ga, gb
	} else {
		p.c2, p.s2, p.ga2, p.gb2 = c, sg, ga, gb
	}

	for n := range subframe {
		v := int64(gp)*int64(e.exc[at+n]) + int64(gc)*int64(code[n])
		e.exc[at+n] = sat16of64(roundShift(v, 14))
	}
	// The weighted error's memory: x - gp·y - gc·z at the subframe's end.
	for i := range order {
		n := subframe - order + i
		v := int64(x[n]) - (int64(gp)*int64(y[n])+int64(gc)*int64(z[n])+1<<13)>>14
		e.errMem[i] = sat16of64(v)
	}
	return t
}

// adaptiveCodebook searches subframe s's delay, writes P1 and P0 or P2
// into p, and leaves the adaptive vector in the excitation.
func (e *Encoder) adaptiveCodebook(p *frameParams, s int, x *[subframe]int32, h *[subframe]int16, top, t1 int) (t, frac int) {
	at := excHistory + s*subframe
	var vec [subframe]int16 // the search's vector for (t, searched)
	var searched int
	if s == 0 {
		lo, hi := max(top-3, pitchMin), min(top+3, pitchMax)
		t, frac = closedLoopPitch(&vec, x, h, e.exc[:], at, e.scratch[:], lo, hi)
		searched = frac
		if t >= 85 || (t == pitchMin && frac == -1) {
			frac = 0 // thirds only under 85; 19 2/3 is left out
		}
		t, frac = clampDelay1(t, frac)
		if t < 85 {
			p.p1 = 3*(t-19) + frac - 1
		} else {
			p.p1 = t + 112
		}
		p.p0 = pitchParity(p.p1)
	} else {
		tmin, tmax := delay2Range(t1)
		t, frac = closedLoopPitch(&vec, x, h, e.exc[:], at, e.scratch[:], tmin, tmax)
		searched = frac
		if (t == tmin && frac == -1) || (t == tmax && frac == 1) {
			frac = 0
		}
		p.p2 = 3*(t-tmin) + frac + 2
	}
	if frac == searched {
		copy(e.exc[at:at+subframe], vec[:])
	} else {
		adaptiveVector(e.exc[:], at, subframe, t, frac)
	}
	return t, frac
}

// clampDelay1 keeps subframe 1's delay inside what P1 can say.
func clampDelay1(t, frac int) (int, int) {
	if t < 20 {
		return 19, 1
	}
	if t > pitchMax {
		return pitchMax, 0
	}
	return t, frac
}

// optimalGain is <x,y>/<y,y> in Q14, bounded to [0, 1.2].
func optimalGain(x, y *[subframe]int32) int16 {
	var xy, yy int64
	for n := range subframe {
		xy += int64(x[n]) * int64(y[n])
		yy += int64(y[n]) * int64(y[n])
	}
	if xy <= 0 || yy == 0 {
		return 0
	}
	return int16(min(xy<<14/yy, 19661))
}
