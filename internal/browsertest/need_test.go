package browsertest

import (
	"path/filepath"
	"testing"

	"github.com/openbpclient/bpclient/internal/testpeers"
)

// Without the browsers, NeedChromium and NeedFirefox skip the test with
// the reason, unless the real peers are required: then they fail.
func TestNeedWithoutTheBrowsers(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	t.Setenv("BPCLIENT_CHROMIUM", missing)
	t.Setenv("BPCLIENT_FIREFOX", missing)
	for browser, need := range map[string]func(testing.TB) string{"chromium": NeedChromium, "firefox": NeedFirefox} {
		testpeers.ExpectMissing(t, func(tb testing.TB) {
			if path := need(tb); path != "" {
				t.Errorf("%s: %q without the browser", browser, path)
			}
		}, browser+" not found at "+missing)
	}
}
