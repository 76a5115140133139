package doctor

import (
	"bytes"
	"testing"
)

// FuzzLastRelay: any log, whole or cut anywhere, is read without a panic,
// and a host version found is one the log holds.
func FuzzLastRelay(f *testing.F) {
	line := `{"level":"info","proc":"agent","session":"s3","browser":"chromium","extension":"chrome-extension://x/","hostVersion":"0.1.0","hostPid":7,"time":"2026-12-03T17:40:13.812Z","message":"relay identified"}`
	f.Add([]byte(line + "\n"))
	f.Add([]byte(line + "\n" + `{"message":"relay identified","hostVersion":"0.0.9"}` + "\n{broken\n"))
	f.Add([]byte(`"relay identified"`))
	f.Add([]byte("\n\n\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, log []byte) {
		_, hv, _, ok := LastRelay(log)
		if ok && (hv == "" || !bytes.Contains(log, []byte(hv))) {
			t.Fatalf("found host version %q not in the log", hv)
		}
	})
}

// TestLastRelay: the last relay line wins; lines after it that are not
// relay lines, and broken ones, do not matter.
func TestLastRelay(t *testing.T) {
	log := `{"message":"relay identified","browser":"chromium","hostVersion":"0.1.0","time":"t1"}
{"message":"relay identified","browser":"firefox","hostVersion":"0.0.9","time":"t2"}
{"message":"call state","call":"c1"}
{broken "relay identified"
`
	b, hv, at, ok := LastRelay([]byte(log))
	if !ok || b != "firefox" || hv != "0.0.9" || at != "t2" {
		t.Errorf("LastRelay = %q %q %q %v", b, hv, at, ok)
	}
	if _, _, _, ok := LastRelay([]byte(`{"message":"hello"}`)); ok {
		t.Error("found a relay in a log without one")
	}
}
