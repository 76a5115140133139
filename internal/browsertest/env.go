package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Env is an isolated user environment. Every path bpclient and the
// browsers use follows HOME and the XDG variables, so processes started
// with Environ never touch the real user's files.
type Env struct {
	Root       string // everything lives below it
	Home       string // HOME
	ConfigHome string // XDG_CONFIG_HOME (HOME/.config)
	StateHome  string // XDG_STATE_HOME (HOME/.local/state): BPClient.log
	CacheHome  string // XDG_CACHE_HOME
	RuntimeDir string // XDG_RUNTIME_DIR: the agent's socket
	// Extra are more NAME=value variables for every process of the
	// environment (e.g. PULSE_SERVER, whose default socket is under the
	// XDG_RUNTIME_DIR the isolation replaces).
	Extra []string
}

// NewEnv makes the directories of an isolated environment under root.
// Keep root short: the agent's unix socket path must fit in 108 bytes.
func NewEnv(root string) (*Env, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	e := &Env{
		Root:       root,
		Home:       filepath.Join(root, "home"),
		RuntimeDir: filepath.Join(root, "run"),
	}
	e.ConfigHome = filepath.Join(e.Home, ".config")
	e.StateHome = filepath.Join(e.Home, ".local", "state")
	e.CacheHome = filepath.Join(e.Home, ".cache")
	for _, d := range []string{e.Home, e.ConfigHome, e.StateHome, e.CacheHome, e.RuntimeDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("env: %w", err)
		}
	}
	// XDG_RUNTIME_DIR must be private to the user.
	if err := os.Chmod(e.RuntimeDir, 0o700); err != nil {
		return nil, fmt.Errorf("env: %w", err)
	}
	return e, nil
}

// Vars are the variables that isolate a process.
func (e *Env) Vars() []string {
	return append([]string{
		"HOME=" + e.Home,
		"XDG_CONFIG_HOME=" + e.ConfigHome,
		"XDG_STATE_HOME=" + e.StateHome,
		"XDG_CACHE_HOME=" + e.CacheHome,
		"XDG_RUNTIME_DIR=" + e.RuntimeDir,
		"XDG_DATA_HOME=" + filepath.Join(e.Home, ".local", "share"),
	}, e.Extra...)
}

// Environ is this process's environment with Vars and extra (NAME=value)
// replacing any variables of the same names. DBUS_SESSION_BUS_ADDRESS is
// dropped so nothing reaches the real user's session.
func (e *Env) Environ(extra ...string) []string {
	over := append(e.Vars(), extra...)
	names := map[string]bool{"DBUS_SESSION_BUS_ADDRESS": true}
	for _, kv := range over {
		names[kv[:strings.IndexByte(kv, '=')]] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		if i := strings.IndexByte(kv, '='); i > 0 && names[kv[:i]] {
			continue
		}
		out = append(out, kv)
	}
	return append(out, over...)
}

// TempDir makes a fresh directory for one browser's TMPDIR: killed
// browsers leave singleton sockets there.
func (e *Env) TempDir(name string) (string, error) {
	d := filepath.Join(e.Root, "tmp-"+name)
	return d, os.MkdirAll(d, 0o700)
}

// AgentSocket is where the agent of this environment listens (Linux).
func (e *Env) AgentSocket() string { return filepath.Join(e.RuntimeDir, "bpclient", "agent.sock") }

// UserPolicyFile is the user's own allow-list.
func (e *Env) UserPolicyFile() string { return filepath.Join(e.ConfigHome, "bpclient", "policy.json") }

// LogFile is BPClient.log.
func (e *Env) LogFile() string { return filepath.Join(e.StateHome, "bpclient", "BPClient.log") }

// ChromiumUserDataDir is Chromium's default profile directory for this
// HOME; with it as --user-data-dir, Chromium reads host manifests from
// NativeMessagingHosts below it, where `bpclient install` writes them.
func (e *Env) ChromiumUserDataDir() string { return filepath.Join(e.ConfigHome, "chromium") }

// ChromiumManifest is the Chromium host manifest's per-user path.
func (e *Env) ChromiumManifest(host string) string {
	return filepath.Join(e.ChromiumUserDataDir(), "NativeMessagingHosts", host+".json")
}

// FirefoxManifest is the Firefox host manifest's per-user path.
func (e *Env) FirefoxManifest(host string) string {
	return filepath.Join(e.Home, ".mozilla", "native-messaging-hosts", host+".json")
}
