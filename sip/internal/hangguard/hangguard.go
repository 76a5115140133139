// Package hangguard is the bound on sip's and sip/media's test waits:
// it only catches a hang, so it is generous enough for a loaded machine
// and costs nothing unless something hangs. Speed is measured with
// benchmarks (BENCHMARKS.md), never asserted by a wait.
package hangguard

import (
	"testing"
	"time"
)

// Timeout bounds a test's wait for an event.
const Timeout = 30 * time.Second

// WaitFor waits until cond holds, failing the test after Timeout.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("hang guard (%v): %s: not seen", Timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
