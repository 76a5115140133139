// Package installer registers bpclient for the current user: the
// native-messaging host manifests each browser reads, and the agent's
// start at login (a systemd user unit on Linux, a LaunchAgent on macOS, a
// HKCU Run value on Windows). It undoes both and reports their state.
// Install, Uninstall and Status are idempotent and touch nothing outside
// the user's own files and registry hive.
//
// OS-specific work sits behind two small interfaces, hostRegistry (how a
// browser finds a manifest) and autostarter (how the agent starts at
// login), implemented in the _linux, _darwin, _windows files.
package installer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/openbpclient/bpclient/nativemsg"
)

// HostBinary is the relay's file name, without ".exe".
const HostBinary = "bpclient-host"

// ErrUnsupported is returned where this OS has no implementation.
var ErrUnsupported = errors.New("not supported on this OS")

// Agent reaches the running agent, if any. The CLI implements it over the
// agent's local socket; a nil Agent means "unknown" in Status and no stop
// on Uninstall.
type Agent interface {
	// Status reports whether an agent answers, and what it says.
	Status(ctx context.Context) AgentStatus
	// Stop asks a running agent to exit.
	Stop(ctx context.Context) error
}

// Runner runs a service-manager command (systemctl, launchctl) and returns
// its combined output.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

func execRunner(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// Installer does the work for one user. The zero value is not usable; call New.
type Installer struct {
	getenv  func(string) string
	run     Runner
	agent   Agent
	homeDir func() (string, error) // the account's home, to tell a test HOME apart

	registry  hostRegistry
	autostart autostarter
}

// Option configures an Installer.
type Option func(*Installer) error

// WithEnv replaces os.Getenv (HOME, XDG_*, LOCALAPPDATA are read through it).
func WithEnv(getenv func(string) string) Option {
	return func(in *Installer) error {
		if getenv == nil {
			return errors.New("installer: nil getenv")
		}
		in.getenv = getenv
		return nil
	}
}

// WithRunner replaces the function that runs systemctl and launchctl.
func WithRunner(r Runner) Option {
	return func(in *Installer) error {
		if r == nil {
			return errors.New("installer: nil runner")
		}
		in.run = r
		return nil
	}
}

// WithAgent lets Status ask the running agent and Uninstall stop it.
func WithAgent(a Agent) Option {
	return func(in *Installer) error { in.agent = a; return nil }
}

// New returns an Installer for the current user and OS.
func New(opts ...Option) (*Installer, error) {
	in := &Installer{getenv: os.Getenv, run: execRunner, homeDir: accountHome}
	for _, o := range opts {
		if err := o(in); err != nil {
			return nil, err
		}
	}
	var err error
	if in.registry, err = newHostRegistry(in); err != nil {
		return nil, err
	}
	if in.autostart, err = newAutostart(in); err != nil {
		return nil, err
	}
	return in, nil
}

// InstallOptions says what to install.
type InstallOptions struct {
	// Browsers to register with; empty means all.
	Browsers []nativemsg.Browser
	// HostPath is the bpclient-host binary the manifests name; empty means
	// DefaultHostPath.
	HostPath string
	// AgentPath is the bpclient binary started at login as "AgentPath
	// agent"; empty means the running executable.
	AgentPath string
	// ExtensionIDs are admitted besides ours: Chromium ids go into
	// allowed_origins, Firefox add-on ids into allowed_extensions.
	ExtensionIDs []string
	// NoAutostart leaves the login start alone.
	NoAutostart bool
}

// UninstallOptions says what to remove.
type UninstallOptions struct {
	// Browsers to unregister from; empty means all.
	Browsers []nativemsg.Browser
	// KeepAutostart leaves the login start (and a running agent) alone.
	KeepAutostart bool
}

// Step is one thing Install or Uninstall did or found.
type Step struct {
	What   string `json:"what"`   // "manifest chrome", "autostart", "agent"
	Where  string `json:"where"`  // a path, registry key or unit
	Action string `json:"action"` // see the Action constants
	Note   string `json:"note,omitempty"`
}

// Actions in a Step.
const (
	ActionWritten   = "written"   // created or changed
	ActionUnchanged = "unchanged" // already as wanted
	ActionRemoved   = "removed"
	ActionAbsent    = "absent" // nothing to remove
	ActionStarted   = "started"
	ActionStopped   = "stopped"
	ActionSkipped   = "skipped"
	ActionWarning   = "warning"
)

// Report lists the steps of one Install or Uninstall.
type Report struct {
	Steps []Step `json:"steps"`
}

func (r *Report) add(s ...Step) { r.Steps = append(r.Steps, s...) }

// DefaultHostPath is bpclient-host next to the running executable.
func DefaultHostPath() (string, error) {
	self, err := executable()
	if err != nil {
		return "", err
	}
	name := HostBinary
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(filepath.Dir(self), name), nil
}

func executable() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("locate the running executable: %w", err)
	}
	if real, err := filepath.EvalSymlinks(self); err == nil {
		self = real
	}
	return self, nil
}

// checkExecutable reports why path cannot serve as a program, or nil.
func checkExecutable(path string) error {
	if !filepath.IsAbs(path) {
		return fmt.Errorf("%s is not an absolute path", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s does not exist", path)
		}
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}

func (in *Installer) locations(browsers []nativemsg.Browser) ([]nativemsg.Location, error) {
	if len(browsers) == 0 {
		browsers = nativemsg.AllBrowsers()
	}
	locs := make([]nativemsg.Location, 0, len(browsers))
	for _, b := range browsers {
		loc, err := nativemsg.ManifestLocation(runtime.GOOS, b, in.getenv)
		if err != nil {
			return nil, err
		}
		locs = append(locs, loc)
	}
	return locs, nil
}

// Install writes the manifests and registers the agent's start at login.
// Running it again with the same options changes nothing.
func (in *Installer) Install(ctx context.Context, o InstallOptions) (*Report, error) {
	var err error
	if o.HostPath == "" {
		if o.HostPath, err = DefaultHostPath(); err != nil {
			return nil, err
		}
	}
	if o.HostPath, err = filepath.Abs(o.HostPath); err != nil {
		return nil, err
	}
	if err := checkExecutable(o.HostPath); err != nil {
		return nil, fmt.Errorf("native-messaging host: %w (build it next to bpclient or pass --host)", err)
	}
	if !o.NoAutostart {
		if o.AgentPath == "" {
			if o.AgentPath, err = executable(); err != nil {
				return nil, err
			}
		}
		if o.AgentPath, err = filepath.Abs(o.AgentPath); err != nil {
			return nil, err
		}
		if err := checkExecutable(o.AgentPath); err != nil {
			return nil, fmt.Errorf("agent: %w", err)
		}
	}
	chromiumIDs, firefoxIDs, err := nativemsg.SplitExtensionIDs(o.ExtensionIDs)
	if err != nil {
		return nil, err
	}
	locs, err := in.locations(o.Browsers)
	if err != nil {
		return nil, err
	}

	rep := &Report{}
	written := map[string]bool{} // Brave and Vivaldi share Chrome's file on Windows
	for _, loc := range locs {
		ids := chromiumIDs
		if loc.Browser.Family() == nativemsg.FamilyFirefox {
			ids = firefoxIDs
		}
		m, err := nativemsg.NewManifest(loc.Browser.Family(), o.HostPath, ids)
		if err != nil {
			return rep, err
		}
		data, err := m.Marshal()
		if err != nil {
			return rep, err
		}
		what := "manifest " + string(loc.Browser)
		if written[loc.File] {
			rep.add(Step{What: what, Where: loc.File, Action: ActionUnchanged, Note: "shared with another browser here"})
			continue
		}
		written[loc.File] = true
		changed, err := writeFile(loc.File, data, 0o644)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", what, err)
		}
		regChanged, err := in.registry.register(loc)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", what, err)
		}
		step := Step{What: what, Where: loc.File, Action: ActionUnchanged}
		if changed || regChanged {
			step.Action = ActionWritten
		}
		if loc.RegistryKey != "" {
			step.Note = `HKCU\` + loc.RegistryKey
		}
		rep.add(step)
	}

	if o.NoAutostart {
		rep.add(Step{What: "autostart", Action: ActionSkipped, Note: "--no-autostart"})
		return rep, nil
	}
	steps, err := in.autostart.install(ctx, o.AgentPath, in.agentRunning(ctx))
	rep.add(steps...)
	if err != nil {
		return rep, fmt.Errorf("autostart: %w", err)
	}
	return rep, nil
}

// Uninstall removes what Install wrote, stops an agent it had started,
// and removes folders it leaves empty. Removing what is not there is not
// an error.
func (in *Installer) Uninstall(ctx context.Context, o UninstallOptions) (*Report, error) {
	locs, err := in.locations(o.Browsers)
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	var errs []error
	if !o.KeepAutostart {
		steps, err := in.autostart.uninstall(ctx)
		rep.add(steps...)
		if err != nil {
			errs = append(errs, fmt.Errorf("autostart: %w", err))
		}
		// An agent that the service manager did not own (started by the
		// host, or by hand) is still running: ask it to go.
		if in.agent != nil && in.agent.Status(ctx).Running {
			step := Step{What: "agent", Action: ActionStopped}
			if err := in.agent.Stop(ctx); err != nil {
				step.Action, step.Note = ActionWarning, "still running: "+err.Error()
			}
			rep.add(step)
		}
	}
	removed := map[string]bool{}
	for _, loc := range locs {
		what := "manifest " + string(loc.Browser)
		if removed[loc.File] {
			rep.add(Step{What: what, Where: loc.File, Action: ActionAbsent, Note: "shared with another browser here"})
			continue
		}
		removed[loc.File] = true
		regRemoved, err := in.registry.unregister(loc)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			continue
		}
		fileRemoved, err := removeFile(loc.File, loc.Root)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			continue
		}
		step := Step{What: what, Where: loc.File, Action: ActionAbsent}
		if regRemoved || fileRemoved {
			step.Action = ActionRemoved
		}
		rep.add(step)
	}
	return rep, errors.Join(errs...)
}

func (in *Installer) agentRunning(ctx context.Context) bool {
	return in.agent != nil && in.agent.Status(ctx).Running
}

// isAccountHome reports whether HOME is this account's own home
// directory. When it is not (a test, a sandbox), the service manager
// running for the account is left alone: it would not see our files.
func (in *Installer) isAccountHome() (bool, string) {
	home := in.getenv("HOME")
	if runtime.GOOS == "windows" {
		return true, ""
	}
	account, err := in.homeDir()
	if err != nil {
		return false, "cannot tell this account's home directory: " + err.Error()
	}
	if filepath.Clean(home) != filepath.Clean(account) {
		return false, fmt.Sprintf("HOME (%s) is not this account's home (%s)", home, account)
	}
	return true, ""
}

// writeFile makes path hold data with mode perm, creating missing parent
// folders private to the user (0700: they may be a browser's profile
// folder). It reports whether anything changed. The file is replaced
// atomically, so a browser never reads half a manifest.
func writeFile(path string, data []byte, perm os.FileMode) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() == perm {
			return false, nil
		}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name()) // harmless after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Chmod(tmp.Name(), perm); err != nil {
		return false, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, err
	}
	return true, nil
}

// removeFile removes path (a file or a symlink) if present, then the
// folders above it that are left empty, up to but not including root.
func removeFile(path, root string) (bool, error) {
	removed := false
	if err := os.Remove(path); err == nil {
		removed = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	pruneEmpty(filepath.Dir(path), root)
	return removed, nil
}

// pruneEmpty removes dir and its parents while they are empty, stopping
// at root (kept) or at the first folder that is not below root.
func pruneEmpty(dir, root string) {
	root = filepath.Clean(root)
	for dir = filepath.Clean(dir); dir != root && within(dir, root); dir = filepath.Dir(dir) {
		if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			return // not empty
		}
	}
}

// within reports whether path is strictly below root.
func within(path, root string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// hostRegistry is how a browser finds a manifest on this OS.
type hostRegistry interface {
	// register points the browser at loc.File (Windows: the registry
	// key); it reports whether anything changed.
	register(loc nativemsg.Location) (bool, error)
	// unregister undoes register; it reports whether anything was removed.
	unregister(loc nativemsg.Location) (bool, error)
	// lookup returns the manifest file the browser would read, or
	// errNotRegistered.
	lookup(loc nativemsg.Location) (string, error)
}

var errNotRegistered = errors.New("not registered")

// autostarter starts the agent at login on this OS.
type autostarter interface {
	// install registers "agentPath agent" and, where the service manager
	// is reachable and no agent runs yet, starts it.
	install(ctx context.Context, agentPath string, agentRunning bool) ([]Step, error)
	// uninstall stops the agent it manages and removes the registration.
	uninstall(ctx context.Context) ([]Step, error)
	status(ctx context.Context) AutostartStatus
}

// accountHome is the home directory of the account running us, from the
// user database rather than HOME.
func accountHome() (string, error) {
	u, err := user.Current()
	if err != nil {
		return "", err
	}
	if u.HomeDir == "" {
		return "", errors.New("no home directory in the user database")
	}
	return u.HomeDir, nil
}

func actionOf(changed bool) string {
	if changed {
		return ActionWritten
	}
	return ActionUnchanged
}

func removedOf(removed bool) string {
	if removed {
		return ActionRemoved
	}
	return ActionAbsent
}

// runChecked runs a service-manager tool and turns a failure into an error
// that quotes what the tool said.
func (in *Installer) runChecked(ctx context.Context, name string, args ...string) error {
	out, err := in.run(ctx, name, args...)
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("%s %s: %s", name, strings.Join(args, " "), msg)
	}
	return nil
}
