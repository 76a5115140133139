package installer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// systemdUser is the agent as a systemd user unit, wanted by
// default.target so that the user manager starts it at login.
//
// We write the unit and the default.target.wants link ourselves (what
// "systemctl --user enable" would do) instead of going through
// kardianos/service: its user template says WantedBy=multi-user.target,
// which the user manager lacks; its Install fails when the unit exists
// (not idempotent) and when the user manager cannot be reached (a
// container, ssh without lingering); and it picks the init system of the
// machine (sysv in a container), where only systemd has user services.
// systemctl is still asked to reload and start when its user manager runs
// for this HOME.
type systemdUser struct {
	in *Installer
	// managerProbe says whether systemctl --user can reach a user manager
	// that reads our files, or why not. Tests replace it.
	managerProbe func() (bool, string)
}

func newAutostart(in *Installer) (autostarter, error) {
	s := &systemdUser{in: in}
	s.managerProbe = s.probeManager
	return s, nil
}

// configHome is $XDG_CONFIG_HOME (if absolute) or ~/.config: the user
// manager reads units from its systemd/user folder.
func (s *systemdUser) configHome() (string, error) {
	if c := s.in.getenv("XDG_CONFIG_HOME"); filepath.IsAbs(c) {
		return filepath.Clean(c), nil
	}
	home := s.in.getenv("HOME")
	if !filepath.IsAbs(home) {
		return "", errors.New("HOME is not set to an absolute path")
	}
	return filepath.Join(home, ".config"), nil
}

func (s *systemdUser) paths() (unit, link, root string, err error) {
	root, err = s.configHome()
	if err != nil {
		return "", "", "", err
	}
	dir := filepath.Join(root, "systemd", "user")
	return filepath.Join(dir, UnitName), filepath.Join(dir, "default.target.wants", UnitName), root, nil
}

func (s *systemdUser) probeManager() (bool, string) {
	if _, err := exec.LookPath("systemctl"); err != nil {
		return false, "systemctl not found"
	}
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		return false, "systemd is not running on this machine (/run/systemd/system is absent)"
	}
	rt := s.in.getenv("XDG_RUNTIME_DIR")
	if rt == "" {
		return false, "XDG_RUNTIME_DIR is not set (no login session)"
	}
	if _, err := os.Stat(filepath.Join(rt, "systemd", "private")); err != nil {
		return false, "no user manager at " + filepath.Join(rt, "systemd", "private")
	}
	if ok, why := s.in.isAccountHome(); !ok {
		return false, why
	}
	return true, ""
}

func (s *systemdUser) systemctl(ctx context.Context, args ...string) error {
	return s.in.runChecked(ctx, "systemctl", append([]string{"--user"}, args...)...)
}

func (s *systemdUser) install(ctx context.Context, agentPath string, agentRunning bool) ([]Step, error) {
	unitPath, link, _, err := s.paths()
	if err != nil {
		return nil, err
	}
	unit, err := systemdUnit(agentPath)
	if err != nil {
		return nil, err
	}
	var steps []Step
	changed, err := writeFile(unitPath, []byte(unit), 0o644)
	if err != nil {
		return steps, err
	}
	steps = append(steps, Step{What: "autostart unit", Where: unitPath, Action: actionOf(changed)})

	linked, err := ensureSymlink(unitPath, link)
	if err != nil {
		return steps, err
	}
	steps = append(steps, Step{What: "autostart enable", Where: link, Action: actionOf(linked), Note: "wanted by default.target"})

	ok, why := s.managerProbe()
	if !ok {
		steps = append(steps, Step{What: "autostart start", Action: ActionSkipped,
			Note: "user manager not reachable: " + why + "; the agent starts at the next login"})
		return steps, nil
	}
	if err := s.systemctl(ctx, "daemon-reload"); err != nil {
		return steps, err
	}
	active := s.systemctl(ctx, "is-active", "--quiet", UnitName) == nil
	switch {
	case active && !changed:
		return append(steps, Step{What: "autostart start", Where: UnitName, Action: ActionUnchanged, Note: "active"}), nil
	case active:
		if err := s.systemctl(ctx, "restart", UnitName); err != nil {
			return steps, err
		}
		return append(steps, Step{What: "autostart start", Where: UnitName, Action: ActionStarted, Note: "restarted with the new unit"}), nil
	case agentRunning:
		// Starting the unit would run a second agent that exits at once.
		return append(steps, Step{What: "autostart start", Action: ActionSkipped,
			Note: "an agent already runs outside the unit; the unit takes over at the next login"}), nil
	}
	if err := s.systemctl(ctx, "start", UnitName); err != nil {
		return steps, err
	}
	return append(steps, Step{What: "autostart start", Where: UnitName, Action: ActionStarted}), nil
}

func (s *systemdUser) uninstall(ctx context.Context) ([]Step, error) {
	unitPath, link, root, err := s.paths()
	if err != nil {
		return nil, err
	}
	var steps []Step
	ok, why := s.managerProbe()
	if ok {
		// Stopping a unit that is not loaded fails: that is fine.
		if err := s.systemctl(ctx, "stop", UnitName); err == nil {
			steps = append(steps, Step{What: "autostart stop", Where: UnitName, Action: ActionStopped})
		}
	}
	rmLink, err := removeSymlink(link, root)
	if err != nil {
		return steps, err
	}
	steps = append(steps, Step{What: "autostart enable", Where: link, Action: removedOf(rmLink)})
	rmUnit, err := removeFile(unitPath, root)
	if err != nil {
		return steps, err
	}
	steps = append(steps, Step{What: "autostart unit", Where: unitPath, Action: removedOf(rmUnit)})
	if ok {
		if err := s.systemctl(ctx, "daemon-reload"); err != nil {
			return steps, err
		}
	} else if rmUnit {
		steps[len(steps)-1].Note = "user manager not reachable: " + why
	}
	return steps, nil
}

func (s *systemdUser) status(ctx context.Context) AutostartStatus {
	st := AutostartStatus{Kind: "systemd-user"}
	unitPath, link, _, err := s.paths()
	if err != nil {
		st.Problem = err.Error()
		return st
	}
	data, ok := st.read(unitPath)
	if !ok {
		return st
	}
	st.Installed = true
	if target, err := os.Readlink(link); err == nil && (target == unitPath || filepath.Join(filepath.Dir(link), target) == unitPath) {
		st.Enabled = true
	}
	prog, args, err := unitExecStart(string(data))
	switch {
	case err != nil:
		st.Problem = err.Error()
	case checkExecutable(prog) != nil:
		st.Problem = checkExecutable(prog).Error()
	case len(args) != 1 || args[0] != "agent":
		st.Problem = fmt.Sprintf("runs %q with %q, want \"agent\"", prog, args)
	case !strings.Contains(string(data), "WantedBy=default.target"):
		st.Problem = "not WantedBy=default.target"
	default:
		st.Valid = true
	}
	st.Command = strings.TrimSpace(prog + " " + strings.Join(args, " "))
	if ok, why := s.managerProbe(); !ok {
		st.Manager = "user manager not reachable: " + why
	} else {
		out, _ := s.in.run(ctx, "systemctl", "--user", "is-active", UnitName)
		st.Manager = "unit " + strings.TrimSpace(string(out))
	}
	return st
}

// ensureSymlink makes link point to target (absolute, as systemctl enable
// does); it reports whether it changed anything.
func ensureSymlink(target, link string) (bool, error) {
	if cur, err := os.Readlink(link); err == nil && cur == target {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		return false, err
	}
	if err := os.Remove(link); err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	return true, os.Symlink(target, link)
}

// removeSymlink removes link if it is a symlink (to anything: a stale one
// from an older install too), then prunes empty folders up to root.
func removeSymlink(link, root string) (bool, error) {
	fi, err := os.Lstat(link)
	if errors.Is(err, os.ErrNotExist) {
		pruneEmpty(filepath.Dir(link), root)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		return false, fmt.Errorf("%s is not a symlink; left in place", link)
	}
	return removeFile(link, root)
}
