package installer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// launchAgent is the agent as a per-user LaunchAgent, loaded into the
// user's GUI domain with "launchctl bootstrap gui/<uid>" (the legacy
// "launchctl load" that kardianos/service uses is deprecated and fails
// quietly on recent macOS). We write our own plist for the same reasons
// as on Linux: idempotency, and an install that works when launchctl
// cannot be asked.
type launchAgent struct {
	in *Installer
}

func newAutostart(in *Installer) (autostarter, error) { return &launchAgent{in: in}, nil }

func (l *launchAgent) paths() (plist, root string, err error) {
	home := l.in.getenv("HOME")
	if !filepath.IsAbs(home) {
		return "", "", errors.New("HOME is not set to an absolute path")
	}
	root = filepath.Join(home, "Library")
	return filepath.Join(root, "LaunchAgents", LaunchdLabel+".plist"), root, nil
}

func (l *launchAgent) domain() string { return "gui/" + strconv.Itoa(os.Getuid()) }

func (l *launchAgent) service() string { return l.domain() + "/" + LaunchdLabel }

// manager says whether launchctl may be asked: only when HOME is the
// account's own (launchd would not see a test HOME's plist otherwise).
func (l *launchAgent) manager() (bool, string) {
	if _, err := exec.LookPath("launchctl"); err != nil {
		return false, "launchctl not found"
	}
	return l.in.isAccountHome()
}

func (l *launchAgent) launchctl(ctx context.Context, args ...string) error {
	return l.in.runChecked(ctx, "launchctl", args...)
}

func (l *launchAgent) install(ctx context.Context, agentPath string, agentRunning bool) ([]Step, error) {
	plist, _, err := l.paths()
	if err != nil {
		return nil, err
	}
	text, err := launchdPlist(agentPath)
	if err != nil {
		return nil, err
	}
	changed, err := writeFile(plist, []byte(text), 0o644)
	if err != nil {
		return nil, err
	}
	steps := []Step{{What: "autostart plist", Where: plist, Action: actionOf(changed)}}
	ok, why := l.manager()
	if !ok {
		return append(steps, Step{What: "autostart load", Action: ActionSkipped,
			Note: "launchd not asked: " + why + "; the agent starts at the next login"}), nil
	}
	// A disabled service cannot be bootstrapped: enable may fail harmlessly.
	_ = l.launchctl(ctx, "enable", l.service())
	loaded := l.loaded(ctx)
	switch {
	case loaded && !changed:
		return append(steps, Step{What: "autostart load", Where: l.service(), Action: ActionUnchanged}), nil
	case loaded:
		// Reload the changed plist: bootout stops the old agent.
		if err := l.launchctl(ctx, "bootout", l.service()); err != nil {
			return steps, err
		}
	case agentRunning:
		// RunAtLoad would start a second agent that exits at once.
		return append(steps, Step{What: "autostart load", Action: ActionSkipped,
			Note: "an agent already runs outside launchd; the LaunchAgent takes over at the next login"}), nil
	}
	err = l.launchctl(ctx, "bootstrap", l.domain(), plist)
	if err != nil && loaded {
		// bootout returns before launchd has let go of the label.
		time.Sleep(500 * time.Millisecond)
		err = l.launchctl(ctx, "bootstrap", l.domain(), plist)
	}
	if err != nil {
		return steps, err
	}
	return append(steps, Step{What: "autostart load", Where: l.service(), Action: ActionStarted}), nil
}

func (l *launchAgent) loaded(ctx context.Context) bool {
	_, err := l.in.run(ctx, "launchctl", "print", l.service())
	return err == nil
}

func (l *launchAgent) uninstall(ctx context.Context) ([]Step, error) {
	plist, root, err := l.paths()
	if err != nil {
		return nil, err
	}
	var steps []Step
	if ok, _ := l.manager(); ok && l.loaded(ctx) {
		// bootout also stops the agent.
		if err := l.launchctl(ctx, "bootout", l.service()); err != nil {
			return steps, err
		}
		steps = append(steps, Step{What: "autostart unload", Where: l.service(), Action: ActionStopped})
	}
	removed, err := removeFile(plist, root)
	if err != nil {
		return steps, err
	}
	return append(steps, Step{What: "autostart plist", Where: plist, Action: removedOf(removed)}), nil
}

func (l *launchAgent) status(ctx context.Context) AutostartStatus {
	st := AutostartStatus{Kind: "launchd"}
	plist, _, err := l.paths()
	if err != nil {
		st.Problem = err.Error()
		return st
	}
	data, ok := st.read(plist)
	if !ok {
		return st
	}
	st.Installed, st.Enabled = true, true
	label, args, err := plistProgram(data)
	switch {
	case err != nil:
		st.Problem = err.Error()
	case label != LaunchdLabel:
		st.Problem = fmt.Sprintf("label %q, want %q", label, LaunchdLabel)
	case checkExecutable(args[0]) != nil:
		st.Problem = checkExecutable(args[0]).Error()
	case len(args) != 2 || args[1] != "agent":
		st.Problem = fmt.Sprintf("runs %q, want <bpclient> agent", args)
	default:
		st.Valid = true
	}
	if err == nil {
		st.Command = strings.Join(args, " ")
	}
	if ok, why := l.manager(); !ok {
		st.Manager = "launchd not asked: " + why
	} else if l.loaded(ctx) {
		st.Manager = "loaded in " + l.domain()
	} else {
		st.Manager = "not loaded in " + l.domain()
	}
	return st
}
