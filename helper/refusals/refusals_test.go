package refusals

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestAddCountsAndBounds: a refusal again within a minute is counted
// without a rewrite, the next rewrite carries the count, and the log
// keeps the newest entries only.
func TestAddCountsAndBounds(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	file := filepath.Join(t.TempDir(), "r.json")
	l := New(file, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if err := l.Add("https://a.test", "origin-not-allowed", true); err != nil {
			t.Fatal(err)
		}
	}
	if recs, _ := New(file, nil).Records(); len(recs) != 1 || recs[0].Count != 1 {
		t.Errorf("another process reads %+v before the rewrite", recs)
	}
	if recs, _ := l.Records(); recs[0].Count != 3 {
		t.Errorf("this process reads %+v", recs)
	}
	now = now.Add(2 * time.Minute)
	l.Add("https://a.test", "origin-not-allowed", true)
	if recs, _ := New(file, nil).Records(); recs[0].Count != 4 {
		t.Errorf("after the rewrite: %+v", recs)
	}
	for i := 0; i < maxRecords+5; i++ {
		l.Add("https://"+string(rune('a'+i))+".other.test", "origin-not-allowed", true)
	}
	if recs, _ := l.Records(); len(recs) != maxRecords {
		t.Errorf("%d records", len(recs))
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("file mode: %v %v", info, err)
	}
}

// FuzzLog: a log of any content reads or errors, and the next refusal
// always leaves a bounded log that reads back with it first.
func FuzzLog(f *testing.F) {
	f.Add([]byte(`{"refusals":[{"origin":"https://a.test","reason":"origin-not-allowed","canAsk":true,"count":3,"at":"2026-12-03T15:00:00Z"}]}`))
	f.Add([]byte(`{"refusals":null}`))
	f.Add([]byte(`[`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "refusals.json")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		l := New(file, nil)
		l.Records()
		if err := l.Add("https://new.test", "origin-not-allowed", true); err != nil {
			t.Fatal(err)
		}
		recs, err := l.Records()
		if err != nil || len(recs) == 0 || recs[0].Origin != "https://new.test" || len(recs) > maxRecords {
			t.Fatalf("after a refusal: %+v %v", recs, err)
		}
	})
}
