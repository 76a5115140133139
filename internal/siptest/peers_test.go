package siptest

import (
	"testing"

	"github.com/openbpclient/bpclient/internal/testpeers"
)

// On a PATH without kamailio and baresip, starting them skips the test
// with the reason, unless the real peers are required: then it fails.
func TestStartWithoutThePeers(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	testpeers.ExpectMissing(t, func(tb testing.TB) {
		if k := StartKamailio(tb, KamailioOptions{}); k != nil {
			t.Error("StartKamailio started something without kamailio")
		}
	}, "kamailio not installed: scripts/deps.sh installs it")
	testpeers.ExpectMissing(t, func(tb testing.TB) {
		if b := StartBaresip(tb, BaresipOptions{}); b != nil {
			t.Error("StartBaresip started something without baresip")
		}
	}, "baresip not installed: scripts/deps.sh installs it")
}
