// Package paths says where bpclient keeps its files on each OS. The
// differences are only data, so they live here in one file; every path
// follows HOME and the XDG variables so that a test isolates an agent by
// setting them.
package paths

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// LogFileName is the log support staff ask for.
const LogFileName = "BPClient.log"

// LogDir is where BPClient.log is written.
func LogDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		base := os.Getenv("LOCALAPPDATA")
		if base == "" {
			return "", errors.New("log dir: LOCALAPPDATA is not set")
		}
		return filepath.Join(base, "Temp", "logs"), nil
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("log dir: %w", err)
		}
		return filepath.Join(home, "Library", "Logs", "BPClient"), nil
	default:
		state := os.Getenv("XDG_STATE_HOME")
		if state == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("log dir: %w", err)
			}
			state = filepath.Join(home, ".local", "state")
		}
		return filepath.Join(state, "bpclient"), nil
	}
}

// LogFile is the full path of BPClient.log.
func LogFile() (string, error) {
	dir, err := LogDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, LogFileName), nil
}

// RuntimeDir holds the agent's socket and lock on Unix: private to the
// user, and gone at logout where the OS provides such a directory.
//
// Every candidate lies inside a folder only this user can write, so no
// other user can create it first and pose as the agent there: Linux's
// $XDG_RUNTIME_DIR (0700, the user's own by the XDG spec), else the XDG
// cache folder in the user's home; macOS's per-user $TMPDIR
// (/var/folders/…) when it is that, else ~/Library/Caches. A shared /tmp
// is never used.
func RuntimeDir() (string, error) {
	return runtimeDir(runtime.GOOS, os.Getenv, os.UserHomeDir, onlyUserWrites)
}

// runtimeDir is RuntimeDir for goos, with the environment, the home
// folder and the private-folder test passed in so that every OS's choice
// is tested on any.
func runtimeDir(goos string, getenv func(string) string, home func() (string, error), private func(string) bool) (string, error) {
	switch goos {
	case "windows":
		return "", errors.New("runtime dir: Windows uses a named pipe")
	case "darwin":
		if tmp := getenv("TMPDIR"); tmp != "" && private(tmp) {
			return filepath.Join(tmp, "bpclient"), nil
		}
		h, err := home()
		if err != nil {
			return "", fmt.Errorf("runtime dir: %w", err)
		}
		return filepath.Join(h, "Library", "Caches", "BPClient", "run"), nil
	default:
		if dir := getenv("XDG_RUNTIME_DIR"); dir != "" {
			return filepath.Join(dir, "bpclient"), nil
		}
		// No session runtime dir (a cron job, a container, su): the
		// user's cache folder, as XDG says for per-user non-essential
		// files; ipc checks the folder's owner and mode either way.
		cache := getenv("XDG_CACHE_HOME")
		if cache == "" {
			h, err := home()
			if err != nil {
				return "", fmt.Errorf("runtime dir: %w", err)
			}
			cache = filepath.Join(h, ".cache")
		}
		return filepath.Join(cache, "bpclient", "run"), nil
	}
}

// maxSocketPath is the longest path a unix socket address holds here,
// its terminating NUL left out: sun_path is 108 bytes on Linux and 104 on
// macOS and the BSDs.
func maxSocketPath() int {
	if runtime.GOOS == "linux" {
		return 107
	}
	return 103
}

// AgentSocket is the agent's unix socket path.
func AgentSocket() (string, error) {
	dir, err := RuntimeDir()
	if err != nil {
		return "", err
	}
	sock := filepath.Join(dir, "agent.sock")
	if n, limit := len(sock), maxSocketPath(); n > limit {
		return "", fmt.Errorf("agent socket %s is %d bytes, more than the %d a socket address holds on this OS: "+
			"set XDG_RUNTIME_DIR (TMPDIR on macOS) to a shorter folder that only you can write", sock, n, limit)
	}
	return sock, nil
}

// ConfigDir is the user's own bpclient settings directory.
func ConfigDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		base := os.Getenv("APPDATA")
		if base == "" {
			return "", errors.New("config dir: APPDATA is not set")
		}
		return filepath.Join(base, "BPClient"), nil
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("config dir: %w", err)
		}
		return filepath.Join(home, "Library", "Application Support", "BPClient"), nil
	default:
		cfg := os.Getenv("XDG_CONFIG_HOME")
		if cfg == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("config dir: %w", err)
			}
			cfg = filepath.Join(home, ".config")
		}
		return filepath.Join(cfg, "bpclient"), nil
	}
}

// UserPolicyFile holds the domains the user allowed.
func UserPolicyFile() (string, error) {
	dir, err := ConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "policy.json"), nil
}

// AdminPolicyFile is the administrator's policy on macOS and Linux. On
// Windows the administrator's policy is in the registry and this is "".
func AdminPolicyFile() string {
	switch runtime.GOOS {
	case "windows":
		return ""
	case "darwin":
		return "/Library/Application Support/BPClient/policy.json"
	default:
		return "/etc/bpclient/policy.json"
	}
}

// Beside is program (".exe" added on Windows) in the folder of this
// process's own executable: where every package installs bpclient's
// helper programs (bpclient-chart, bpclient-screen) next to bpclient.
func Beside(program string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find bpclient's folder: %w", err)
	}
	// A symlink (/usr/bin/bpclient) points to the installed folder.
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return ProgramIn(filepath.Dir(exe), program), nil
}

// ProgramIn is program's executable in dir (".exe" added on Windows).
func ProgramIn(dir, program string) string {
	if runtime.GOOS == "windows" {
		program += ".exe"
	}
	return filepath.Join(dir, program)
}
