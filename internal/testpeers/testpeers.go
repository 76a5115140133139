// Package testpeers decides what a test does when a real peer it needs
// (Kamailio, baresip, a browser) is not installed: on a developer's
// machine it skips and says why; where the environment requires the real
// peers (CI=true, or BPCLIENT_REQUIRE_PEERS=1) it fails, so that CI can
// never skip the real-peer tests silently.
package testpeers

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Required reports whether the environment requires the real peers: CI
// or BPCLIENT_REQUIRE_PEERS is true (1, true, ...).
func Required() bool {
	return envTrue("CI") || envTrue("BPCLIENT_REQUIRE_PEERS")
}

func envTrue(name string) bool {
	v, err := strconv.ParseBool(os.Getenv(name))
	return err == nil && v
}

// Missing ends t for a peer that is not installed, why saying which and
// how to install it: a skip, or a failure when Required. The caller
// returns right after it.
func Missing(t testing.TB, why string) {
	t.Helper()
	if Required() {
		t.Fatal(why + " (the real peers are required here: CI or BPCLIENT_REQUIRE_PEERS is set)")
		return
	}
	t.Skip("SKIP: " + why)
}

// Ending is a testing.TB that records how a helper ended the test instead
// of ending it, for the tests of helpers that call Missing.
type Ending struct {
	testing.TB
	SkipReason, FailReason string
}

// Helper implements testing.TB.
func (e *Ending) Helper() {}

// Skip records a skip.
func (e *Ending) Skip(args ...any) { e.SkipReason = fmt.Sprint(args...) }

// Fatal records a failure.
func (e *Ending) Fatal(args ...any) { e.FailReason = fmt.Sprint(args...) }

// ExpectMissing runs start, which needs a peer that is not there, first
// as on a developer's machine and then as in CI, and fails t unless start
// skipped the first time and failed the second, both times naming why.
func ExpectMissing(t *testing.T, start func(testing.TB), why string) {
	t.Helper()
	for _, required := range []bool{false, true} {
		t.Setenv("CI", "")
		t.Setenv("BPCLIENT_REQUIRE_PEERS", strconv.FormatBool(required))
		ended := &Ending{TB: t}
		start(ended)
		got, other, want := ended.SkipReason, ended.FailReason, "skip"
		if required {
			got, other, want = ended.FailReason, ended.SkipReason, "failure"
		}
		if !strings.Contains(got, why) || other != "" {
			t.Errorf("BPCLIENT_REQUIRE_PEERS=%v: skipped %q, failed %q; want a %s naming %q",
				required, ended.SkipReason, ended.FailReason, want, why)
		}
	}
}
