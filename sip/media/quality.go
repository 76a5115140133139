package media

import (
	"math"
	"strings"
)

// eModelMOS estimates a MOS with the ITU-T G.107 E-model from what one
// end can measure: one-way delay (ms), packet loss (percent) and the codec.
func eModelMOS(codecName string, oneWayMs, lossPct float64) float64 {
	ie, bpl := codecImpairment(codecName)
	d := oneWayMs
	id := 0.024 * d
	if d > 177.3 {
		id += 0.11 * (d - 177.3)
	}
	ppl := math.Max(0, lossPct)
	ieEff := ie + (95-ie)*ppl/(ppl+bpl)
	r := 93.2 - id - ieEff
	return rToMOS(r)
}

func rToMOS(r float64) float64 {
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	m := 1 + 0.035*r + r*(r-60)*(100-r)*7e-6
	return math.Round(math.Max(1, math.Min(4.5, m))*100) / 100
}

// codecImpairment is the equipment impairment Ie and packet-loss
// robustness Bpl of G.113 Appendix I (with packet-loss concealment).
func codecImpairment(name string) (ie, bpl float64) {
	switch strings.ToUpper(name) {
	case "PCMU", "PCMA":
		return 0, 25.1
	case "G722":
		return 0, 25
	case "G729":
		return 11, 19
	case "OPUS":
		return 0, 30
	}
	return 5, 15
}

// Thresholds at which quality.warning fires; zero fields take defaults.
type Thresholds struct {
	RTTMs    float64 `json:"rttMs"`
	JitterMs float64 `json:"jitterMs"`
	LossPct  float64 `json:"lossPct"`
}

func (t Thresholds) withDefaults() Thresholds {
	if t.RTTMs <= 0 {
		t.RTTMs = 240
	}
	if t.JitterMs <= 0 {
		t.JitterMs = 20
	}
	if t.LossPct <= 0 {
		t.LossPct = 2
	}
	return t
}

// warnings lists the thresholds a report crosses.
func (t Thresholds) warnings(q QualityReport) []string {
	var w []string
	if q.RTTMs > t.RTTMs {
		w = append(w, "rtt")
	}
	if q.JitterMs > t.JitterMs {
		w = append(w, "jitter")
	}
	if q.LossPct > t.LossPct {
		w = append(w, "loss")
	}
	return w
}
