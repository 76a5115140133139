package doctor

import (
	"errors"
	"os"
	"runtime"
)

// Roots is where the checks look. Tests set every field to temporary
// folders and fakes; DefaultRoots is the real computer.
type Roots struct {
	// GOOS chooses the OS's folder layout ("linux", "darwin", "windows").
	GOOS string
	// Getenv reads HOME, XDG_CONFIG_HOME, LOCALAPPDATA, APPDATA and
	// ProgramFiles.
	Getenv func(string) string
	// System is prefixed to the system-wide folders browsers read
	// policies from (/etc/opt/chrome, /Library/Managed Preferences):
	// empty for the real ones, a temporary folder in tests.
	System string
	// User is the account name, for macOS's per-user managed
	// preferences.
	User string
	// Registry reads HKLM and HKCU on Windows; nil elsewhere.
	Registry RegistryReader
}

// RegistryReader reads the Windows registry. Hive is "HKLM" or "HKCU";
// key is below it (Software\Policies\Google\Chrome). Absent keys and
// values are not errors: ok is false.
type RegistryReader interface {
	// String reads a REG_SZ or REG_EXPAND_SZ value ("" is the default value).
	String(hive, key, name string) (value string, ok bool, err error)
	// Integer reads a REG_DWORD or REG_QWORD value.
	Integer(hive, key, name string) (value uint64, ok bool, err error)
	// Strings reads every string value of a key, in value-name order:
	// Chrome's list policies are keys with values named 1, 2, 3...
	Strings(hive, key string) (values []string, ok bool, err error)
}

// errNoRegistry is what a Windows check says when it has no registry.
var errNoRegistry = errors.New("the registry cannot be read here")

// DefaultRoots are this computer's: the real environment, folders and
// registry.
func DefaultRoots() Roots {
	r := Roots{GOOS: runtime.GOOS, Getenv: os.Getenv, Registry: systemRegistry()}
	if u := currentUser(); u != "" {
		r.User = u
	}
	return r
}
