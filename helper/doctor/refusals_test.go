package doctor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRefusalLog: a refusal log of any content reads or errors, the check
// over it never fails the report, and the next refusal leaves a bounded
// log that reads back with it first.
func FuzzRefusalLog(f *testing.F) {
	f.Add([]byte(`{"refusals":[{"origin":"https://a.test","reason":"origin-not-allowed","canAsk":true,"count":3,"at":"2026-12-03T15:00:00Z"}]}`))
	f.Add([]byte(`{"refusals":[{"origin":"::","reason":"x","at":"x"}]}`))
	f.Add([]byte(`[`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "refusals.json")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		log := NewRefusalLog(file, nil)
		rep := New(nil, RefusalCheck(log, nil)).Run(context.Background(), View{})
		if rep.Status == Failed || rep.Checks[0].Where != "" {
			t.Fatalf("report %+v", rep)
		}
		if err := log.Record("https://new.test", "origin-not-allowed", true); err != nil {
			t.Fatal(err)
		}
		recs, err := log.Records()
		if err != nil || len(recs) == 0 || recs[0].Origin != "https://new.test" || len(recs) > maxRefusalRecords {
			t.Fatalf("after a refusal: %+v %v", recs, err)
		}
	})
}
