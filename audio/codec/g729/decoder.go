package g729

import "fmt"

// voicedGain is the adaptive-codebook gain (Q14) over which the last
// good subframe counts as voiced for concealment: 0.25, chosen by the
// segmental SNR with 5% loss on espeak-ng speech (0.5 measured 0.06 dB
// lower, 0.75 0.12 dB).
const voicedGain = 4096

// Decoder decodes G.729 Annex A voice frames and Annex B SID frames. It
// keeps the state of one stream; it is not safe for concurrent use.
type Decoder struct {
	exc      [excHistory + FrameSamples]int16 // past excitation, then this frame's
	synth    [order + FrameSamples]int16      // ten past synthesis samples, then this frame's
	synthMem [order]int16                     // 1/Â(z) memory
	lsf      [order]int16                     // last frame's LSFs ω, Q13 (for erasures)
	lsp      [order]int16                     // last frame's LSPs q, Q15
	lspMem   lspPredictorMemory
	mode     int // last frame's MA predictor (L0)
	gains    gainPredictor
	lastGp   int16 // Q14
	lastGc   int16 // Q1
	sharp    int16 // β, Q14
	lastT    int   // integer pitch delay, for parity errors and erasures
	lastFrac int   // and its thirds, which concealment keeps too
	voiced   bool  // the last good subframe was periodic: conceal it so
	rng      rng16
	post     postFilter
	highPass biquad
	cng      comfortNoise
}

// NewDecoder makes a decoder in the Recommendation's initial state.
func NewDecoder() *Decoder {
	d := &Decoder{
		lsf:      lspInitialFreqs,
		lspMem:   newLSPPredictorMemory(),
		gains:    newGainPredictor(),
		sharp:    3277,
		lastT:    60,
		rng:      rng16{seed: 21845},
		post:     newPostFilter(),
		highPass: biquad{b: postHighPassB, a: postHighPassA, shift: 13, gain: 1},
	}
	lsfToLSP(&d.lsp, &d.lsf)
	return d
}

// Decode decodes any number of 10-byte voice frames, optionally followed
// by one 2-byte SID frame, into 80 samples each.
func (d *Decoder) Decode(dst []int16, payload []byte) (int, error) {
	voice, rest := len(payload)/FrameBytes, len(payload)%FrameBytes
	if rest != 0 && rest != SIDBytes {
		return 0, fmt.Errorf("g729 decode: %d bytes is not 10-byte frames with an optional 2-byte SID", len(payload))
	}
	frames := voice
	if rest == SIDBytes {
		frames++
	}
	if frames == 0 {
		return 0, fmt.Errorf("g729 decode: empty payload")
	}
	if len(dst) < frames*FrameSamples {
		return 0, fmt.Errorf("g729 decode: dst holds %d samples, need %d", len(dst), frames*FrameSamples)
	}
	var p frameParams
	for i := range voice {
		p.unpack(payload[i*FrameBytes:])
		d.voiceFrame(dst[i*FrameSamples:(i+1)*FrameSamples], &p, false)
	}
	if rest == SIDBytes {
		var s sidParams
		s.unpack(payload[voice*FrameBytes:])
		d.sidFrame(&s)
		d.noiseFrame(dst[voice*FrameSamples : frames*FrameSamples])
	}
	return frames * FrameSamples, nil
}

// Conceal fills len(dst) samples (rounded down to whole 10 ms frames) for
// frames that did not arrive: concealment after speech (§4.4), the same
// comfort noise after a SID frame (a peer in DTX sends nothing while the
// noise stays the same).
func (d *Decoder) Conceal(dst []int16) (int, error) {
	frames := len(dst) / FrameSamples
	if frames == 0 {
		return 0, fmt.Errorf("g729 conceal: dst holds %d samples, need at least %d", len(dst), FrameSamples)
	}
	var p frameParams
	for i := range frames {
		out := dst[i*FrameSamples : (i+1)*FrameSamples]
		if d.cng.active {
			d.applySID()
			d.noiseFrame(out)
		} else {
			d.voiceFrame(out, &p, true)
		}
	}
	return frames * FrameSamples, nil
}

// voiceFrame decodes one frame (or conceals it when erased) into out.
func (d *Decoder) voiceFrame(out []int16, p *frameParams, erased bool) {
	d.cng.active = false
	var lsp [order]int16
	d.decodeLSP(&lsp, p, erased)

	var a [2][order + 1]int16
	var sub [order]int16
	interpolateLSP(&sub, &d.lsp, &lsp)
	lspToLP(&a[0], &sub)
	lspToLP(&a[1], &lsp)
	d.lsp = lsp

	var delays [2]int
	for s := range 2 {
		t, frac := d.lastT, 0
		switch {
		case erased:
			frac = d.lastFrac
		case s == 0 && pitchParity(p.p1) != p.p0:
			// A damaged delay: keep the last one (§4.1.2).
			frac = d.lastFrac
		case s == 0:
			t, frac = decodeDelay1(p.p1)
		default:
			t, frac = decodeDelay2(p.p2, delays[0])
		}
		delays[s] = t
		at := excHistory + s*subframe
		adaptiveVector(d.exc[:], at, subframe, t, frac)

		var code [subframe]int16
		c, sg, ga, gb := p.c1, p.s1, p.ga1, p.gb1
		if s == 1 {
			c, sg, ga, gb = p.c2, p.s2, p.ga2, p.gb2
		}
		if erased {
			c, sg = int(d.rng.next())&0x1fff, int(d.rng.next())&0xf
		}
		fixedVector(&code, c, sg)
		if t < subframe {
			sharpen(&code, t, d.sharp)
		}

		var gp, gc int16
		if erased {
			gp = min(mulQ15(d.lastGp, 29491), 14746) // 0.9·gp, at most 0.9
			gc = mulQ15(d.lastGc, 32113)             // 0.98·gc
			if d.voiced {
				// Voiced speech goes on as its periodic part alone; a
				// random code would only add noise to it. Unvoiced
				// speech goes on as noise (§4.4).
				gc = 0
			} else {
				gp = 0
			}
			d.gains.pushErased()
		} else {
			gp, gc = d.gains.decodeGains(ga, gb, &code)
		}
		if !erased {
			d.voiced = gp >= voicedGain
		}
		d.lastGp, d.lastGc, d.sharp = gp, gc, pitchSharpening(gp)
		if !erased {
			d.lastT, d.lastFrac = t, frac
		}

		for n := range subframe {
			v := int64(gp)*int64(d.exc[at+n]) + int64(gc)*int64(code[n]) // Q14
			d.exc[at+n] = sat16of64(roundShift(v, 14))
		}
		d.synthesiseSubframe(s, &a[s])
	}
	if erased {
		d.lastT = min(d.lastT+1, pitchMax)
	}
	for s := range 2 {
		d.post.run(out[s*subframe:], d.synth[:], order+s*subframe, &a[s], delays[s])
	}
	d.finishFrame(out)
}

// synthesiseSubframe runs 1/Â(z) over subframe s's excitation; on
// overflow the whole excitation memory is scaled down by 4 and the
// subframe synthesised again (§4.1.6).
func (d *Decoder) synthesiseSubframe(s int, a *[order + 1]int16) {
	at := excHistory + s*subframe
	mem := d.synthMem
	y := d.synth[order+s*subframe : order+(s+1)*subframe]
	if synthesise(y, d.exc[at:at+subframe], a, &d.synthMem) {
		for i := range d.exc[:at+subframe] {
			d.exc[i] >>= 2
		}
		d.synthMem = mem
		synthesise(y, d.exc[at:at+subframe], a, &d.synthMem)
	}
}

// finishFrame post-processes out and moves the histories on a frame.
func (d *Decoder) finishFrame(out []int16) {
	d.highPass.run(out, out)
	copy(d.exc[:excHistory], d.exc[FrameSamples:])
	copy(d.synth[:order], d.synth[FrameSamples:])
}

// decodeLSP is this frame's LSPs from its indices, or for an erased frame
// the last frame's, with the predictor memory kept in step (§4.4.1).
func (d *Decoder) decodeLSP(lsp *[order]int16, p *frameParams, erased bool) {
	var l [order]int16
	if erased {
		d.lspMem.residualFor(&l, &d.lsf, &lspMAPredictor[d.mode], &lspMAPredictorRestInv[d.mode])
		d.lspMem.push(&l)
		lsfToLSP(lsp, &d.lsf)
		return
	}
	voiceResidual(&l, p.l1, p.l2, p.l3)
	d.mode = p.l0 & 1
	d.lspMem.predict(&d.lsf, &l, &lspMAPredictor[d.mode], &lspMAPredictorRest[d.mode])
	d.lspMem.push(&l)
	stabilise(&d.lsf)
	lsfToLSP(lsp, &d.lsf)
}
