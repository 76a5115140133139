package g729

// Gains (§3.9): the adaptive gain gp in Q14, the fixed gain gc in Q1, and
// the fixed gain's MA prediction on the energies of past correction
// factors, kept in dB Q10.

const (
	meanEnergyDBQ10 = 30 << 10  // Ē, 30 dB
	minPastDBQ10    = -14 << 10 // the predictor memory's floor and start
	dbPerLog2Q13    = 49321     // 20·log10(2) = 6.0206, Q13
	log2PerDBQ16    = 10885     // 1/6.0206, Q16
)

// gainPredictor is the fixed-gain prediction memory Û (dB Q10), newest first.
type gainPredictor [4]int32

func newGainPredictor() gainPredictor {
	return gainPredictor{minPastDBQ10, minPastDBQ10, minPastDBQ10, minPastDBQ10}
}

// predicted is g'c, the predicted fixed gain for code (Q13) as a Q16
// value: 10^((Ẽ + Ē - E_c)/20) with E_c the code's mean energy in dB.
func (g *gainPredictor) predicted(code *[subframe]int16) int64 {
	var e uint64
	for _, c := range code {
		e += uint64(int64(c) * int64(c))
	}
	e = max(e, 1)
	// log2 of the mean energy of the real-valued code: Σc²/(40·2^26).
	log2E := int64(log2Q16(e)) - 26<<16 - int64(log2Q16(40))
	// 10·log10 is half of 20·log10(2)·log2: Q16·Q13 is Q29, halved and to Q10.
	ecDBQ10 := log2E * dbPerLog2Q13 >> 20
	var pred int64
	for i, u := range g {
		pred += int64(gainMAPredictor[i]) * int64(u) // Q13·Q10
	}
	pred >>= 13
	db := pred + meanEnergyDBQ10 - ecDBQ10 // dB Q10
	// log2 of the gain, Q16: dB/6.0206.
	l2 := db * log2PerDBQ16 >> 10
	return pow2Q16(int32(max(min(l2, 20<<16), -20<<16)), 16)
}

// push records a correction factor γ (Q13) as 20·log10 γ.
func (g *gainPredictor) push(gammaQ13 int32) {
	l2 := int64(log2Q16(uint64(max(gammaQ13, 1)))) - 13<<16
	db := l2 * dbPerLog2Q13 >> 19 // Q16·Q13 → Q29 → Q10
	copy(g[1:], g[:3])
	g[0] = int32(db)
}

// pushErased updates the memory for a lost frame: the mean of the past
// four less 4 dB, not under -14 dB (§4.4.2).
func (g *gainPredictor) pushErased() {
	m := (g[0]+g[1]+g[2]+g[3])>>2 - 4<<10
	copy(g[1:], g[:3])
	g[0] = max(m, minPastDBQ10)
}

// decodeGains is gp (Q14) and gc (Q1) from the GA and GB indices.
func (g *gainPredictor) decodeGains(ga, gb int, code *[subframe]int16) (gp, gc int16) {
	a, b := gainCodebookA[gainInvMapA[ga&7]], gainCodebookB[gainInvMapB[gb&15]]
	gp = a[0] + b[0]
	gamma := int32(a[1]) + int32(b[1]) // Q13
	pred := g.predicted(code)          // Q16
	gc = sat16of64(roundShift(pred*int64(gamma), 28))
	g.push(gamma)
	return gp, gc
}
