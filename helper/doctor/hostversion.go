package doctor

import (
	"debug/buildinfo"
	"runtime/debug"
	"strings"

	"github.com/openbpclient/bpclient/version"
)

// versionFlag is how release builds set the version (version.Version's
// comment): -ldflags "-X github.com/openbpclient/bpclient/version.Version=…".
const versionFlag = "-X github.com/openbpclient/bpclient/version.Version="

// builtVersion is the version an ldflags setting gives, or "" when the
// build did not set one (it then has the source's default).
func builtVersion(settings []debug.BuildSetting) string {
	for _, s := range settings {
		if s.Key != "-ldflags" {
			continue
		}
		_, after, ok := strings.Cut(s.Value, versionFlag)
		if !ok {
			continue
		}
		v, _, _ := strings.Cut(after, " ")
		return strings.Trim(v, `"'`)
	}
	return ""
}

// hostVersionMismatch reads the Go build information of the host binary
// (ELF, PE or Mach-O alike, without running it) and reports the host's
// version when it differs from this program's. Both built from source
// without a version flag count as the same. A binary without build
// information says nothing (ok false).
func hostVersionMismatch(path string) (hostVersion string, differs bool) {
	host, err := buildinfo.ReadFile(path)
	if err != nil {
		return "", false
	}
	var ours string
	if self, ok := debug.ReadBuildInfo(); ok {
		ours = builtVersion(self.Settings)
	}
	theirs := builtVersion(host.Settings)
	if theirs == ours {
		return "", false
	}
	if theirs == "" {
		theirs = "a build without a version"
	}
	if ours == "" && theirs == version.Version {
		return "", false // we run from source at the version it names
	}
	return theirs, true
}
