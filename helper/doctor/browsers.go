package doctor

import (
	"path/filepath"
	"strings"

	"github.com/openbpclient/bpclient/nativemsg"
)

// browserInfo is what the checks know of one browser on every OS. It is
// only data, so every OS's entry is here and tested on any.
type browserInfo struct {
	browser nativemsg.Browser
	name    string // for people: "Google Chrome"
	// dataDir is the user data folder below the OS's base (see userData).
	linux, darwin, windows []string
	// linuxPolicy is the folder of managed policy JSON files.
	linuxPolicy string
	// darwinDomain is the managed preferences domain (file name without .plist).
	darwinDomain string
	// windowsPolicy is the key below HKLM and HKCU.
	windowsPolicy string
}

// browserTable: user data folders from Chromium's docs/user_data_dir.md
// and each vendor's; policy locations from the Chrome Enterprise policy
// list ("Linux: /etc/opt/chrome/policies/managed", "Windows registry
// location: Software\Policies\Google\Chrome", "Mac/Linux preference
// name"), Microsoft's "Microsoft Edge - Policies" (SOFTWARE\Policies\
// Microsoft\Edge, com.microsoft.Edge) and Brave's group policy help
// (Software\Policies\BraveSoftware\Brave, /etc/brave/policies/managed).
// Vivaldi's policy locations are not documented: its policy check says so.
var browserTable = [...]browserInfo{
	{
		browser: nativemsg.Chrome, name: "Google Chrome",
		linux: []string{"google-chrome"}, darwin: []string{"Google", "Chrome"}, windows: []string{"Google", "Chrome", "User Data"},
		linuxPolicy: "/etc/opt/chrome/policies/managed", darwinDomain: "com.google.Chrome", windowsPolicy: `Software\Policies\Google\Chrome`,
	},
	{
		browser: nativemsg.Chromium, name: "Chromium",
		linux: []string{"chromium"}, darwin: []string{"Chromium"}, windows: []string{"Chromium", "User Data"},
		linuxPolicy: "/etc/chromium/policies/managed", darwinDomain: "org.chromium.Chromium", windowsPolicy: `Software\Policies\Chromium`,
	},
	{
		browser: nativemsg.Edge, name: "Microsoft Edge",
		linux: []string{"microsoft-edge"}, darwin: []string{"Microsoft Edge"}, windows: []string{"Microsoft", "Edge", "User Data"},
		linuxPolicy: "/etc/opt/edge/policies/managed", darwinDomain: "com.microsoft.Edge", windowsPolicy: `Software\Policies\Microsoft\Edge`,
	},
	{
		browser: nativemsg.Brave, name: "Brave",
		linux: []string{"BraveSoftware", "Brave-Browser"}, darwin: []string{"BraveSoftware", "Brave-Browser"}, windows: []string{"BraveSoftware", "Brave-Browser", "User Data"},
		linuxPolicy: "/etc/brave/policies/managed", darwinDomain: "com.brave.Browser", windowsPolicy: `Software\Policies\BraveSoftware\Brave`,
	},
	{
		browser: nativemsg.Vivaldi, name: "Vivaldi",
		linux: []string{"vivaldi"}, darwin: []string{"Vivaldi"}, windows: []string{"Vivaldi", "User Data"},
	},
	{
		browser: nativemsg.Firefox, name: "Firefox",
		linux: []string{".mozilla", "firefox"}, darwin: []string{"Firefox"}, windows: []string{"Mozilla", "Firefox"},
	},
}

// browserOf is browser b's row of browserTable (zero when there is none).
// An array searched, not a map: a map literal is built by the package's
// initialiser in every process that links the package (BENCHMARKS.md,
// the idle agent's memory).
func browserOf(b nativemsg.Browser) browserInfo {
	for _, info := range browserTable {
		if info.browser == b {
			return info
		}
	}
	return browserInfo{}
}

// orAll is browsers, or every browser when none is named.
func orAll(browsers []nativemsg.Browser) []nativemsg.Browser {
	if len(browsers) == 0 {
		return nativemsg.AllBrowsers()
	}
	return browsers
}

func displayName(b nativemsg.Browser) string {
	if info := browserOf(b); info.name != "" {
		return info.name
	}
	return string(b)
}

// userData is browser b's per-user data folder (Chromium's "User Data",
// Firefox's folder of profiles.ini), or "" when the environment does not
// say where the user's folders are.
func (r Roots) userData(b nativemsg.Browser) string {
	info := browserOf(b)
	switch r.GOOS {
	case "windows":
		base := r.Getenv("LOCALAPPDATA")
		if b == nativemsg.Firefox {
			base = r.Getenv("APPDATA") // Firefox's profiles roam
		}
		if base == "" {
			return ""
		}
		return filepath.Join(append([]string{base}, info.windows...)...)
	case "darwin":
		home := r.Getenv("HOME")
		if home == "" {
			return ""
		}
		return filepath.Join(append([]string{home, "Library", "Application Support"}, info.darwin...)...)
	default:
		home := r.Getenv("HOME")
		if home == "" {
			return ""
		}
		if b == nativemsg.Firefox {
			return filepath.Join(append([]string{home}, info.linux...)...)
		}
		config := r.Getenv("XDG_CONFIG_HOME")
		if !strings.HasPrefix(config, "/") {
			config = filepath.Join(home, ".config")
		}
		return filepath.Join(append([]string{config}, info.linux...)...)
	}
}

// system is path below the System root.
func (r Roots) system(path string) string {
	if r.System == "" {
		return path
	}
	return filepath.Join(r.System, filepath.FromSlash(path))
}
