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
	"strconv"
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
func RuntimeDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		return "", errors.New("runtime dir: Windows uses a named pipe")
	case "darwin":
		// $TMPDIR on macOS is already per-user (/var/folders/...).
		return filepath.Join(os.TempDir(), "bpclient"), nil
	default:
		if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
			return filepath.Join(dir, "bpclient"), nil
		}
		// No session runtime dir (a cron job, a container): a per-uid
		// directory under the temp dir, checked for ownership by ipc.
		return filepath.Join(os.TempDir(), "bpclient-"+strconv.Itoa(os.Getuid())), nil
	}
}

// AgentSocket is the agent's unix socket path.
func AgentSocket() (string, error) {
	dir, err := RuntimeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "agent.sock"), nil
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
