// Package version holds the version of bpclient and its wire protocol.
// Both binaries link it; it imports nothing of ours.
package version

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is the release version; release builds set it with
// -ldflags "-X github.com/openbpclient/bpclient/version.Version=1.2.3".
var Version = "0.1.0"

// Protocol is the version of the JSON-RPC API spoken between the page and
// the agent. It changes only when a change is not append-only.
const Protocol = 1

// Semver is a parsed major.minor.patch version.
type Semver struct{ Major, Minor, Patch int }

// Parse reads "x.y.z" (a leading "v" and a "-suffix" are allowed and the
// suffix is ignored). Missing minor or patch count as 0.
func Parse(s string) (Semver, error) {
	orig := s
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if s == "" || len(parts) > 3 {
		return Semver{}, fmt.Errorf("version %q: want major.minor.patch", orig)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return Semver{}, fmt.Errorf("version %q: %q is not a number", orig, p)
		}
		n[i] = v
	}
	return Semver{n[0], n[1], n[2]}, nil
}

// Less reports whether a is older than b.
func (a Semver) Less(b Semver) bool {
	if a.Major != b.Major {
		return a.Major < b.Major
	}
	if a.Minor != b.Minor {
		return a.Minor < b.Minor
	}
	return a.Patch < b.Patch
}

func (a Semver) String() string { return fmt.Sprintf("%d.%d.%d", a.Major, a.Minor, a.Patch) }

// AtLeast reports whether this build's Version is min or newer.
func AtLeast(min string) (bool, error) {
	want, err := Parse(min)
	if err != nil {
		return false, err
	}
	have, err := Parse(Version)
	if err != nil {
		return false, err
	}
	return !have.Less(want), nil
}
