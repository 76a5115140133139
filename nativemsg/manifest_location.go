package nativemsg

import (
	"errors"
	"fmt"
	"strings"
)

// Location is where one browser looks for our host manifest for the
// current user. The table is only data, so every OS is here and tests on
// one OS check the others.
//
// Sources: Chrome's and Edge's native-messaging docs and Chromium's
// docs/user_data_dir.md (Linux: $XDG_CONFIG_HOME or ~/.config), MDN's
// "Native manifests" (Firefox), and the browsers' own user data
// directories for Brave and Vivaldi. On Windows, Brave and Vivaldi read
// Chrome's registry key, and Edge falls back to it.
type Location struct {
	Browser Browser
	// File is the manifest's path. On Linux and macOS the browser reads it
	// there; on Windows it is where we keep the JSON that RegistryKey names.
	File string
	// RegistryKey is, on Windows only, the key under HKEY_CURRENT_USER
	// whose default value must be File.
	RegistryKey string
	// Root is the existing directory above File: install creates what is
	// missing below it and uninstall removes what is left empty, up to but
	// not including Root.
	Root string
}

// Dir is the directory holding File.
func (l Location) Dir() string {
	i := strings.LastIndexAny(l.File, `/\`)
	if i < 0 {
		return ""
	}
	return l.File[:i]
}

// ManifestLocation tells where browser b looks for our manifest on goos
// ("linux", "darwin", "windows"; other Unixes are treated like Linux),
// reading the environment through getenv: HOME and XDG_CONFIG_HOME on
// Unix, LOCALAPPDATA on Windows.
func ManifestLocation(goos string, b Browser, getenv func(string) string) (Location, error) {
	if !b.Known() {
		return Location{}, fmt.Errorf("manifest location: unknown browser %q", string(b))
	}
	file := HostName + ".json"
	switch goos {
	case "windows":
		base := getenv("LOCALAPPDATA")
		if !isAbsWindows(base) {
			return Location{}, errors.New("manifest location: LOCALAPPDATA is not set to an absolute path")
		}
		owner, key := windowsRegistration(b)
		return Location{
			Browser:     b,
			File:        joinWindows(base, "BPClient", "NativeMessagingHosts", owner, file),
			RegistryKey: key + `\` + HostName,
			Root:        joinWindows(base),
		}, nil
	case "darwin":
		home := getenv("HOME")
		if !strings.HasPrefix(home, "/") {
			return Location{}, errors.New("manifest location: HOME is not set to an absolute path")
		}
		support := joinUnix(home, "Library", "Application Support")
		var dir string
		switch b {
		case Chrome:
			dir = joinUnix(support, "Google", "Chrome", "NativeMessagingHosts")
		case Chromium:
			dir = joinUnix(support, "Chromium", "NativeMessagingHosts")
		case Edge:
			dir = joinUnix(support, "Microsoft Edge", "NativeMessagingHosts")
		case Brave:
			dir = joinUnix(support, "BraveSoftware", "Brave-Browser", "NativeMessagingHosts")
		case Vivaldi:
			dir = joinUnix(support, "Vivaldi", "NativeMessagingHosts")
		case Firefox:
			dir = joinUnix(support, "Mozilla", "NativeMessagingHosts")
		}
		return Location{Browser: b, File: joinUnix(dir, file), Root: support}, nil
	default:
		home := getenv("HOME")
		if !strings.HasPrefix(home, "/") {
			return Location{}, errors.New("manifest location: HOME is not set to an absolute path")
		}
		if b == Firefox {
			// Firefox does not follow XDG_CONFIG_HOME for native messaging,
			// even since its profiles may (Mozilla bug 1955255).
			return Location{
				Browser: b,
				File:    joinUnix(home, ".mozilla", "native-messaging-hosts", file),
				Root:    joinUnix(home),
			}, nil
		}
		config := getenv("XDG_CONFIG_HOME")
		if !strings.HasPrefix(config, "/") { // the XDG spec ignores relative paths
			config = joinUnix(home, ".config")
		}
		var dir string
		switch b {
		case Chrome:
			dir = joinUnix(config, "google-chrome")
		case Chromium:
			dir = joinUnix(config, "chromium")
		case Edge:
			dir = joinUnix(config, "microsoft-edge")
		case Brave:
			dir = joinUnix(config, "BraveSoftware", "Brave-Browser")
		case Vivaldi:
			dir = joinUnix(config, "vivaldi")
		}
		return Location{Browser: b, File: joinUnix(dir, "NativeMessagingHosts", file), Root: joinUnix(config)}, nil
	}
}

// windowsRegistration names the registry key (under HKEY_CURRENT_USER,
// without the host name) that browser b reads, and a short name for the
// folder of the JSON it points to. Brave and Vivaldi have no key of their
// own: they read Chrome's.
func windowsRegistration(b Browser) (owner, key string) {
	switch b {
	case Chromium:
		return "chromium", `Software\Chromium\NativeMessagingHosts`
	case Edge:
		return "edge", `Software\Microsoft\Edge\NativeMessagingHosts`
	case Firefox:
		return "firefox", `Software\Mozilla\NativeMessagingHosts`
	default: // Chrome, Brave, Vivaldi
		return "chrome", `Software\Google\Chrome\NativeMessagingHosts`
	}
}

func joinUnix(elem ...string) string { return joinWith("/", elem) }

func joinWindows(elem ...string) string { return joinWith(`\`, elem) }

// joinWith joins path elements with sep, trimming separators at the
// seams (a root such as "/" stays as it is).
func joinWith(sep string, elem []string) string {
	parts := make([]string, 0, len(elem))
	for i, e := range elem {
		if i > 0 {
			e = strings.TrimLeft(e, `/\`)
		}
		if t := strings.TrimRight(e, `/\`); t != "" {
			e = t
		}
		if e != "" {
			parts = append(parts, e)
		}
	}
	if len(parts) > 1 && parts[0] == sep {
		return sep + strings.Join(parts[1:], sep)
	}
	return strings.Join(parts, sep)
}

// isAbsWindows reports whether p is a drive-absolute (C:\...) or UNC path.
func isAbsWindows(p string) bool {
	if strings.HasPrefix(p, `\\`) {
		return true
	}
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') &&
		(p[0] >= 'A' && p[0] <= 'Z' || p[0] >= 'a' && p[0] <= 'z')
}
