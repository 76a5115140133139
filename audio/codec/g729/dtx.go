package g729

// Sending in silence (discontinuous transmission with SID frames, the
// format of Annex B). Which frames are silence is vad.go's decision, a
// detector of our own rather than Annex B's. Inactive frames send a SID
// (2 bytes) when the silence starts and when the noise's level moves by
// two steps of the SID energy quantiser (4 dB), and nothing otherwise. The SID carries the
// frame's spectrum (LSFs quantised with Annex B's codebooks and
// predictors) and the energy of its LP residual, the excitation a
// decoder must generate to match the noise.

const (
	sidMinChange = 2   // energy index steps that call for a new SID
	sidMaxDrift  = 410 // 0.05 rad of mean LSF distance (Q13) a new one must gain
)

type dtxState struct {
	vad      vadState
	inactive bool         // the last frame was not speech
	last     sidParams    // the last SID sent
	lastL    [order]int16 // and its LSF residual
	avg      [order]int16 // the LSFs averaged over the silence so far
}

// active decides whether the frame in the analysis window speech is to
// be sent as voice (vad.go).
func (v *dtxState) active(speech *[windowLen]int16) bool { return v.vad.active(speech) }

// silenceFrame codes an inactive frame: a SID into out (returning 2) or
// nothing (0). om is the frame's LSFs (Q13). Like the decoder, the
// predictor memory moves on with the last SID's residual every inactive
// frame, sent or not.
func (e *Encoder) silenceFrame(out []byte, om *[order]int16) int {
	v := e.dtx
	// The noise's spectrum: the frames' LSFs averaged through the silence
	// (each frame's alone jitters, and would call for a SID every time).
	if !v.inactive {
		v.avg = *om
	} else {
		for i := range order {
			v.avg[i] = int16((7*int32(v.avg[i]) + int32(om[i]) + 4) >> 3)
		}
	}
	om = &v.avg
	var s sidParams
	var l, lsfQ [order]int16
	quantiseSIDLSF(&s, &l, &lsfQ, om, &e.lspMem)
	s.energy = e.sidEnergy(&lsfQ)

	send := !v.inactive || abs(s.energy-v.last.energy) >= sidMinChange
	if !send {
		// What a decoder holding the last SID makes this frame.
		var held [order]int16
		e.lspMem.predict(&held, &v.lastL, sidPredictor(v.last.mode), &sidMAPredictorRest[v.last.mode])
		stabilise(&held)
		// Only when a new SID would come clearly closer: the SID's
		// codebooks are coarse, and held ends at what they can say.
		send = lsfDistance(&held, om) > lsfDistance(&lsfQ, om)+sidMaxDrift ||
			abs(e.sidEnergy(&held)-v.last.energy) >= sidMinChange
	}
	v.inactive = true
	if send {
		v.last, v.lastL = s, l
	}
	var held [order]int16
	e.lspMem.predict(&held, &v.lastL, sidPredictor(v.last.mode), &sidMAPredictorRest[v.last.mode])
	e.lspMem.push(&v.lastL)
	stabilise(&held)
	// Keep in step with a decoder's comfort noise: its LSPs for the next
	// interpolation, no pitch sharpening.
	lsfToLSP(&e.lspQ, &held)
	e.sharp = 3277
	if !send {
		return 0
	}
	s.pack(out)
	return SIDBytes
}

// sidEnergy is the SID energy index for this frame heard through the
// LSFs lsf: the excitation RMS (Q3) at which white noise through their
// synthesis filter comes out at the frame's level (the frame's energy
// over the filter's power gain). Taking the LP residual's energy instead
// overshoots wherever the SID's coarse spectrum does not fit the frame.
func (e *Encoder) sidEnergy(lsf *[order]int16) int {
	var lsp [order]int16
	lsfToLSP(&lsp, lsf)
	var a [order + 1]int16
	lspToLP(&a, &lsp)
	var imp, h [FrameSamples]int16
	imp[0] = 4096
	var mem [order]int16
	synthesise(h[:subframe], imp[:subframe], &a, &mem) // synthesise works a subframe at a time
	synthesise(h[subframe:], imp[subframe:], &a, &mem)
	var gain uint64 // Σh², Q24
	for _, v := range h {
		gain += uint64(int64(v) * int64(v))
	}
	var en uint64
	for _, x := range e.speech[frameStart : frameStart+FrameSamples] {
		en += uint64(int64(x) * int64(x))
	}
	gain = max(gain, 1)
	// G² = (en/80)/(gain/2^24), in Q6 for G in Q3; shifted to stay in 64 bits.
	g2 := (en << 20) / gain * 64 / FrameSamples << 4
	return nearestSIDGain(isqrt64(g2))
}

// lsfDistance is the mean absolute difference of two LSF sets (Q13).
func lsfDistance(a, b *[order]int16) int {
	d := 0
	for i := range order {
		d += abs(int(a[i]) - int(b[i]))
	}
	return d / order
}

// nearestSIDGain is the SID energy index closest to rms (Q3) on a log scale.
func nearestSIDGain(rms uint64) int {
	best, bestD := 0, int32(-1)
	l := log2Q16(max(rms, 1))
	for i, g := range sidGainTable {
		d := log2Q16(uint64(g)) - l
		if d < 0 {
			d = -d
		}
		if bestD < 0 || d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// quantiseSIDLSF picks a SID's LSF indices for om with Annex B's
// codebooks (rows of the voice codebooks) and predictors, and gives the
// LSFs a decoder will rebuild from them.
func quantiseSIDLSF(s *sidParams, l, lsfQ, om *[order]int16, mem *lspPredictorMemory) {
	var w [order]int64
	lsfWeights(&w, om)
	bestErr := int64(-1)
	for mode := range 2 {
		var target [order]int16
		mem.residualFor(&target, om, sidPredictor(mode), &sidMAPredictorRestInv[mode])
		var ww [order]int64
		for i := range order {
			r := int64(sidMAPredictorRest[mode][i])
			ww[i] = w[i] * (r * r >> 15) >> 15
		}
		l1, e1 := 0, int64(-1)
		for j, row := range sidLspCodebook1Rows {
			var e int64
			for i := range order {
				d := int64(target[i]) - int64(lspCodebook1[row][i])
				e += d * d
			}
			if e1 < 0 || e < e1 {
				l1, e1 = j, e
			}
		}
		first := &lspCodebook1[sidLspCodebook1Rows[l1]]
		for j := range sidLspCodebook2Rows[0] {
			var l [order]int16
			lower := &lspCodebook2[sidLspCodebook2Rows[0][j]]
			upper := &lspCodebook2[sidLspCodebook2Rows[1][j]]
			for i := range 5 {
				l[i] = first[i] + lower[i]
				l[i+5] = first[i+5] + upper[i+5]
			}
			rearrange(&l, lsfGapWide)
			rearrange(&l, lsfGapFine)
			var e int64
			for i := range order {
				d := int64(target[i]) - int64(l[i])
				e += ww[i] * d * d >> 13
			}
			if bestErr < 0 || e < bestErr {
				bestErr = e
				s.mode, s.l1, s.l2 = mode, l1, j
			}
		}
	}
	// What the decoder makes of it (cng.go's sidFrame and applySID).
	sidResidual(l, s)
	mem.predict(lsfQ, l, sidPredictor(s.mode), &sidMAPredictorRest[s.mode])
	stabilise(lsfQ)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
