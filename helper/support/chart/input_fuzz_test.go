package chart

import (
	"strings"
	"testing"
)

// FuzzDecode: whatever arrives on bpclient-chart's stdin, Decode answers
// calls within the bounds or an error, and never panics.
func FuzzDecode(f *testing.F) {
	f.Add(`{"calls":[{"callId":"a","started":"2026-12-03T10:00:00Z","samples":[{"at":"2026-12-03T10:00:05Z","mos":4.2}]}]}`)
	f.Add(`{"calls":[]}`)
	f.Add(`{"calls":null}`)
	f.Add(`{"calls":[{}]} {}`)
	f.Add(`[1,2,3]`)
	f.Add(`{"calls":[{"samples":[{"mos":1e308,"lossPct":-1e308}]}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		calls, err := Decode(strings.NewReader(in))
		if err != nil {
			return
		}
		if len(calls) == 0 || len(calls) > MaxCalls {
			t.Fatalf("accepted %d calls", len(calls))
		}
		for _, c := range calls {
			if len(c.Samples) > MaxSamplesPerCall {
				t.Fatalf("accepted %d samples", len(c.Samples))
			}
		}
	})
}
