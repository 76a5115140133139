package media

import "testing"

func TestEModel(t *testing.T) {
	clean := eModelMOS("PCMU", 40, 0)
	lossy := eModelMOS("PCMU", 40, 5)
	slow := eModelMOS("PCMU", 400, 0)
	if clean < 4.3 || lossy >= clean || slow >= clean || lossy < 1 {
		t.Fatalf("clean %.2f lossy %.2f slow %.2f", clean, lossy, slow)
	}
	thr := Thresholds{}.withDefaults()
	if w := thr.warnings(QualityReport{RTTMs: 300, JitterMs: 5, LossPct: 3}); len(w) != 2 {
		t.Fatalf("warnings %v", w)
	}
}
