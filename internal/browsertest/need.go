package browsertest

import (
	"testing"

	"github.com/openbpclient/bpclient/internal/testpeers"
)

// NeedChromium returns the Chromium executable for t, or ends t when
// there is none: a skip that says why, or a failure where the real peers
// are required (testpeers.Missing).
func NeedChromium(t testing.TB) string {
	t.Helper()
	return need(t, FindChromium)
}

// NeedFirefox is NeedChromium for Firefox ESR.
func NeedFirefox(t testing.TB) string {
	t.Helper()
	return need(t, FindFirefox)
}

func need(t testing.TB, find func() (string, error)) string {
	t.Helper()
	path, err := find()
	if err != nil {
		testpeers.Missing(t, err.Error())
		return ""
	}
	return path
}
