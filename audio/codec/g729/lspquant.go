package g729

// LSP quantisation at the encoder (§3.2.4): for each of the two MA
// predictors, the target residual is searched in the first-stage
// codebook L1 (plain squared error) and then in the two halves of the
// second stage, L2 and L3 (error weighted by the LSF spacing); the
// predictor whose result is closer in the weighted ω domain wins.

// lsfWeights is §3.2.4's weights: more where neighbouring LSFs are close
// (formants), 1.2 times for the 5th and 6th. Q13.
func lsfWeights(w *[order]int64, om *[order]int16) {
	const one, pi04, pi92 = 8192, 1029, 23677 // 1.0, 0.04π, 0.92π in Q13
	weight := func(tmp int64) int64 {
		if tmp > 0 {
			return one
		}
		return one + 10*tmp*tmp>>13
	}
	w[0] = weight(int64(om[1]) - pi04 - one)
	for i := 1; i < order-1; i++ {
		w[i] = weight(int64(om[i+1]) - int64(om[i-1]) - one)
	}
	w[order-1] = weight(pi92 - int64(om[order-2]) - one)
	w[4] = w[4] * 12 / 10
	w[5] = w[5] * 12 / 10
}

// quantiseLSF picks the indices for the LSFs om (Q13) given the predictor
// memory; it returns them in p (l0..l3).
func quantiseLSF(p *frameParams, om *[order]int16, mem *lspPredictorMemory) {
	var w [order]int64
	lsfWeights(&w, om)
	bestErr := int64(-1)
	for mode := range 2 {
		var target, l [order]int16
		mem.residualFor(&target, om, &lspMAPredictor[mode], &lspMAPredictorRestInv[mode])
		// The error in ω is rest·(target - l): weight by rest² (Q15² → Q13 below).
		var ww [order]int64
		for i := range order {
			r := int64(lspMAPredictorRest[mode][i])
			ww[i] = w[i] * (r * r >> 15) >> 15
		}
		l1 := nearestFirstStage(&target)
		l2 := nearestSecondStage(&target, &lspCodebook1[l1], &ww, 0)
		l3 := nearestSecondStage(&target, &lspCodebook1[l1], &ww, 5)
		voiceResidual(&l, l1, l2, l3)
		var e int64
		for i := range order {
			d := int64(target[i]) - int64(l[i])
			e += ww[i] * d * d >> 13
		}
		if bestErr < 0 || e < bestErr {
			bestErr = e
			p.l0, p.l1, p.l2, p.l3 = mode, l1, l2, l3
		}
	}
}

func nearestFirstStage(t *[order]int16) int {
	best, bestErr := 0, int64(-1)
	for j := range lspCodebook1 {
		var e int64
		for i := range order {
			d := int64(t[i]) - int64(lspCodebook1[j][i])
			e += d * d
			if bestErr >= 0 && e >= bestErr {
				break // already worse: the rest only adds
			}
		}
		if bestErr < 0 || e < bestErr {
			best, bestErr = j, e
		}
	}
	return best
}

// nearestSecondStage searches one half (from = 0 or 5) of the second
// stage for what the first stage left, with the weights ww.
func nearestSecondStage(t, first *[order]int16, ww *[order]int64, from int) int {
	best, bestErr := 0, int64(-1)
	for j := range lspCodebook2 {
		var e int64
		for i := from; i < from+5; i++ {
			d := int64(t[i]) - int64(first[i]) - int64(lspCodebook2[j][i])
			e += ww[i] * d * d >> 13
		}
		if bestErr < 0 || e < bestErr {
			best, bestErr = j, e
		}
	}
	return best
}
