package support

import (
	"os"
	"runtime"
	"time"
)

// OSFacts is what the bundle says of the computer: enough to tell one
// OS release or desktop from another, nothing that names the person.
type OSFacts struct {
	GOOS      string            `json:"os"`
	GOARCH    string            `json:"arch"`
	CPUs      int               `json:"cpus"`
	GoVersion string            `json:"go"`
	TimeZone  string            `json:"timeZone"`
	Release   map[string]string `json:"release,omitempty"` // per OS: os-release, kernel...
	Session   map[string]string `json:"session,omitempty"` // desktop session variables
}

// sessionVars are the environment variables that say which desktop and
// sound server the agent runs under.
var sessionVars = []string{"XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "WAYLAND_DISPLAY", "DISPLAY",
	"PULSE_SERVER", "PIPEWIRE_REMOTE", "LANG", "LC_ALL"}

// CollectOSFacts reads this computer's facts.
func CollectOSFacts() OSFacts {
	zone, _ := time.Now().Zone()
	f := OSFacts{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version(),
		TimeZone: zone, Release: osRelease(), Session: map[string]string{}}
	for _, v := range sessionVars {
		if s := os.Getenv(v); s != "" {
			f.Session[v] = s
		}
	}
	return f
}
