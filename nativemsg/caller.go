package nativemsg

import (
	"errors"
	"strings"
)

// Caller is who started the host, as the browser put it on the command line.
type Caller struct {
	Family Family
	// Extension is the Chromium origin "chrome-extension://<id>/" or the
	// Firefox add-on id.
	Extension string
	// Manifest is the host manifest Firefox read (Firefox only).
	Manifest string
}

// ErrNoCaller means the arguments are not those of a browser launch.
var ErrNoCaller = errors.New("not started by a browser: expected a chrome-extension:// origin, or a manifest path and an add-on id")

// ParseCaller reads the host's arguments (without argv[0]).
// Chromium passes the calling origin, and on Windows a --parent-window=N
// flag after it; Firefox passes the manifest path and the add-on id.
func ParseCaller(args []string) (Caller, error) {
	var plain []string
	for _, a := range args {
		if strings.HasPrefix(a, "--parent-window=") {
			continue
		}
		plain = append(plain, a)
	}
	switch {
	case len(plain) >= 1 && strings.HasPrefix(plain[0], "chrome-extension://"):
		id := strings.TrimSuffix(strings.TrimPrefix(plain[0], "chrome-extension://"), "/")
		if id == "" || strings.ContainsAny(id, "/?#") {
			return Caller{}, ErrNoCaller
		}
		return Caller{Family: FamilyChromium, Extension: plain[0]}, nil
	case len(plain) == 2 && plain[1] != "" && !strings.HasPrefix(plain[1], "-"):
		return Caller{Family: FamilyFirefox, Manifest: plain[0], Extension: plain[1]}, nil
	}
	return Caller{}, ErrNoCaller
}
