package doctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPageLog(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s", "doctor-pages.json")
	clock := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	log := NewPageLog(file, func() time.Time { return clock })
	if recs, err := log.Records(); err != nil || len(recs) != 0 {
		t.Fatalf("empty log: %v %v", recs, err)
	}
	for i := 0; i < maxPageRecords+5; i++ {
		if err := log.Record(fmt.Sprintf("https://p%d.test", i), "1.0.0"); err != nil {
			t.Fatal(err)
		}
	}
	recs, _ := log.Records()
	if len(recs) != maxPageRecords || recs[0].Origin != fmt.Sprintf("https://p%d.test", maxPageRecords+4) {
		t.Fatalf("bounded, newest first: %d records, first %+v", len(recs), recs[0])
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v %v, want 0600", fi.Mode(), err)
	}

	// The same hello again does not rewrite the file.
	clock = clock.Add(time.Hour)
	log.Record(recs[0].Origin, "1.0.0")
	if again, _ := log.Records(); again[0].At != recs[0].At {
		t.Errorf("rewritten for the same hello: %+v", again[0])
	}

	// A damaged log is reported by the check and replaced by the next record.
	os.WriteFile(file, []byte("{"), 0o600)
	wantResult(t, UpdateCheck(log)(context.Background(), View{})[0], Warning, "cannot be read", "Reload the Agent Desktop page")
	if err := log.Record("https://a.test", "0.0.1"); err != nil {
		t.Fatal(err)
	}
	if recs, err := log.Records(); err != nil || len(recs) != 1 {
		t.Errorf("after the damage: %+v %v", recs, err)
	}
}

// FuzzPageLog: a page log of any content reads or errors, and the next
// record always leaves a log that reads back with that record first.
func FuzzPageLog(f *testing.F) {
	f.Add([]byte(`{"pages":[{"origin":"https://a.test","minHelperVersion":"1.0.0","at":"2026-12-03T15:00:00Z"}]}`))
	f.Add([]byte(`{"pages":null}`))
	f.Add([]byte(`[`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "pages.json")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		log := NewPageLog(file, nil)
		log.Records()
		if err := log.Record("https://new.test", "2.0.0"); err != nil {
			t.Fatal(err)
		}
		recs, err := log.Records()
		if err != nil || len(recs) == 0 || recs[0].Origin != "https://new.test" || len(recs) > maxPageRecords {
			t.Fatalf("after a record: %+v %v", recs, err)
		}
	})
}
