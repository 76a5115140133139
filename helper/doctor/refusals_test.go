package doctor

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/openbpclient/bpclient/helper/refusals"
)

// FuzzRefusalCheck: whatever the refusal log holds, the check reads it
// or says it cannot, never fails the report, and a page's view names no
// file.
func FuzzRefusalCheck(f *testing.F) {
	f.Add([]byte(`{"refusals":[{"origin":"https://a.test","reason":"origin-not-allowed","canAsk":true,"count":3,"at":"2099-12-03T15:00:00Z"}]}`))
	f.Add([]byte(`{"refusals":[{"origin":"::","reason":"x","at":"x"}]}`))
	f.Add([]byte(`[`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "refusals.json")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		rep := New(nil, RefusalCheck(refusals.New(file, nil), nil)).Run(context.Background(), View{Origin: "https://a.test"})
		if rep.Status == Failed || len(rep.Checks) != 1 || rep.Checks[0].Where != "" {
			t.Fatalf("report %+v", rep)
		}
	})
}
