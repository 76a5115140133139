package testpeers

import (
	"strings"
	"testing"
)

// A missing peer is a skip that says why, unless CI or
// BPCLIENT_REQUIRE_PEERS requires the peers: then it is a failure.
func TestMissingSkipsUnlessRequired(t *testing.T) {
	const why = "kamailio not installed: scripts/deps.sh installs it"
	for _, tc := range []struct {
		ci, require string
		fail        bool
	}{
		{"", "", false},
		{"false", "0", false},
		{"nonsense", "", false},
		{"true", "", true},
		{"1", "", true},
		{"", "1", true},
		{"", "true", true},
	} {
		t.Setenv("CI", tc.ci)
		t.Setenv("BPCLIENT_REQUIRE_PEERS", tc.require)
		o := &Ending{TB: t}
		Missing(o, why)
		switch {
		case tc.fail && (o.SkipReason != "" || !strings.Contains(o.FailReason, why)):
			t.Errorf("CI=%q BPCLIENT_REQUIRE_PEERS=%q: skipped %q, failed %q; want a failure naming %q", tc.ci, tc.require, o.SkipReason, o.FailReason, why)
		case !tc.fail && (o.FailReason != "" || !strings.Contains(o.SkipReason, why)):
			t.Errorf("CI=%q BPCLIENT_REQUIRE_PEERS=%q: skipped %q, failed %q; want a skip naming %q", tc.ci, tc.require, o.SkipReason, o.FailReason, why)
		}
	}
}
