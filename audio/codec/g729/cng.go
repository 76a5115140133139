package g729

// Annex B comfort noise at the receiver: a SID frame carries the noise's
// spectrum (LSFs, quantised like a voice frame's but with Annex B's own
// predictors and smaller codebooks) and its energy; between SID frames the
// decoder keeps making the same noise, its LSF predictor moving on with
// the SID's residual every frame as if the SID came again (which is what
// bcg729 measurably does too: a SID decoded again and again keeps its
// level through both decoders only this way). The excitation is white Gaussian
// noise at the SID's gain, smoothed from frame to frame, shaped by the
// SID's synthesis filter.

import "sync"

// sidMAPredictor is Annex B's two LSF predictors for SID frames: mode 0
// is the voice frames' first predictor, mode 1 is 0.6 of the first plus
// 0.4 of the second (which is what sidMAPredictorRest's values are one
// minus the sum of). Worked out at the first SID, not by the package's
// initialiser in every process that links the codec (BENCHMARKS.md, the
// idle agent's memory).
var sidMAPredictor struct {
	once sync.Once
	p    [2][4][order]int16
}

// sidPredictor is the SID predictor of mode 0 or 1.
func sidPredictor(mode int) *[4][order]int16 {
	sidMAPredictor.once.Do(func() {
		p := &sidMAPredictor.p
		p[0] = lspMAPredictor[0]
		for k := range 4 {
			for i := range order {
				p[1][k][i] = int16((19661*int32(lspMAPredictor[0][k][i]) + 13107*int32(lspMAPredictor[1][k][i]) + 1<<14) >> 15)
			}
		}
	})
	return &sidMAPredictor.p[mode]
}

const (
	cngSmoothKeep = 28672 // 7/8, Q15: how much of the last gain a frame keeps
	// sidGainShift is the Q of sidGainTable as an excitation RMS.
	sidGainShift = 3
)

type comfortNoise struct {
	active  bool         // the last frame was a SID or comfort noise
	l       [order]int16 // the SID's quantised LSF residual, Q13
	mode    int          // and its predictor
	lsf     [order]int16 // the noise's LSFs, Q13
	target  int32        // the SID's excitation RMS, Q3
	gain    int32        // the smoothed RMS, Q3
	started bool         // gain holds a value to smooth from
}

// sidFrame takes a SID frame's parameters.
func (d *Decoder) sidFrame(s *sidParams) {
	sidResidual(&d.cng.l, s)
	d.cng.mode = s.mode & 1
	d.applySID()
	d.cng.target = int32(sidGainTable[s.energy&31])
	if !d.cng.active {
		d.cng.started = false // speech before: start at the new level
	}
	d.cng.active = true
}

// applySID rebuilds the noise's LSFs from the SID's residual and moves the
// predictor memory on with it, on the SID frame and on each frame not
// sent after it, so that the decoder's memory follows the encoder's
// through the silence (and a frame not sent is the last SID again).
func (d *Decoder) applySID() {
	d.lspMem.predict(&d.cng.lsf, &d.cng.l, sidPredictor(d.cng.mode), &sidMAPredictorRest[d.cng.mode])
	d.lspMem.push(&d.cng.l)
	stabilise(&d.cng.lsf)
}

// sidResidual is the quantised LSF residual l a SID's indices name.
func sidResidual(l *[order]int16, s *sidParams) {
	first := &lspCodebook1[sidLspCodebook1Rows[s.l1&31]]
	lower := &lspCodebook2[sidLspCodebook2Rows[0][s.l2&15]]
	upper := &lspCodebook2[sidLspCodebook2Rows[1][s.l2&15]]
	for i := range 5 {
		l[i] = first[i] + lower[i]
		l[i+5] = first[i+5] + upper[i+5]
	}
	rearrange(l, lsfGapWide)
	rearrange(l, lsfGapFine)
}

// noiseFrame makes one frame of comfort noise from the last SID.
func (d *Decoder) noiseFrame(out []int16) {
	c := &d.cng
	if !c.started {
		c.gain, c.started = c.target, true
	} else {
		c.gain = int32((int64(c.gain)*cngSmoothKeep + int64(c.target)*(32768-cngSmoothKeep) + 1<<14) >> 15)
	}
	c.active = true
	d.lsf = c.lsf
	var lsp, sub [order]int16
	lsfToLSP(&lsp, &c.lsf)
	var a [2][order + 1]int16
	interpolateLSP(&sub, &d.lsp, &lsp)
	lspToLP(&a[0], &sub)
	lspToLP(&a[1], &lsp)
	d.lsp = lsp
	for s := range 2 {
		at := excHistory + s*subframe
		for n := range subframe {
			// A sum of 12 uniform values: near-Gaussian, σ = 2^16.
			var g int32
			for range 12 {
				g += int32(d.rng.next())
			}
			d.exc[at+n] = sat16of64((int64(g)*int64(c.gain) + 1<<(15+sidGainShift)) >> (16 + sidGainShift))
		}
		d.synthesiseSubframe(s, &a[s])
	}
	d.lastGp, d.sharp = 0, 3277
	for s := range 2 {
		d.post.run(out[s*subframe:], d.synth[:], order+s*subframe, &a[s], d.lastT)
	}
	d.finishFrame(out)
}
