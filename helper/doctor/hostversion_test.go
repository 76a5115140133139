package doctor

import (
	"runtime/debug"
	"strings"
	"testing"
)

// FuzzBuiltVersion: the version read from any -ldflags value is what
// follows the version flag, up to the next space, without quotes.
func FuzzBuiltVersion(f *testing.F) {
	f.Add(`-X github.com/openbpclient/bpclient/version.Version=1.2.3`)
	f.Add(`-s -w -X "github.com/openbpclient/bpclient/version.Version=1.2.3-rc1" -X main.x=y`)
	f.Add(`-X other.Version=1`)
	f.Fuzz(func(t *testing.T, flags string) {
		v := builtVersion([]debug.BuildSetting{{Key: "-ldflags", Value: flags}})
		if strings.Contains(v, " ") || !strings.Contains(flags, v) || strings.HasPrefix(v, `"`) || strings.HasSuffix(v, `"`) {
			t.Fatalf("%q from %q", v, flags)
		}
		if !strings.Contains(flags, versionFlag) && v != "" {
			t.Fatalf("a version %q without the flag in %q", v, flags)
		}
		if builtVersion([]debug.BuildSetting{{Key: "-tags", Value: flags}}) != "" {
			t.Fatal("read a version from another setting")
		}
	})
}
