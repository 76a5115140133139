package installer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// runValue starts the agent at login from HKCU\...\CurrentVersion\Run.
// kardianos/service has no per-user service on Windows (a service runs in
// session 0, away from the user's audio devices), so we do not use it here.
type runValue struct {
	in *Installer
}

func newAutostart(in *Installer) (autostarter, error) { return &runValue{in: in}, nil }

func (r *runValue) where() string { return `HKCU\` + RunKey + `\` + RunValueName }

func (r *runValue) install(_ context.Context, agentPath string, _ bool) ([]Step, error) {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, RunKey, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		return nil, fmt.Errorf(`open HKCU\%s: %w`, RunKey, err)
	}
	defer k.Close()
	want := windowsRunCommand(agentPath)
	if old, _, err := k.GetStringValue(RunValueName); err == nil && old == want {
		return []Step{{What: "autostart", Where: r.where(), Action: ActionUnchanged}}, nil
	}
	if err := k.SetStringValue(RunValueName, want); err != nil {
		return nil, fmt.Errorf("set %s: %w", r.where(), err)
	}
	return []Step{{What: "autostart", Where: r.where(), Action: ActionWritten,
		Note: "the agent starts at the next login, or when a browser first connects"}}, nil
}

func (r *runValue) uninstall(context.Context) ([]Step, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, RunKey, registry.SET_VALUE)
	if err != nil {
		if errors.Is(err, registry.ErrNotExist) {
			return []Step{{What: "autostart", Where: r.where(), Action: ActionAbsent}}, nil
		}
		return nil, fmt.Errorf(`open HKCU\%s: %w`, RunKey, err)
	}
	defer k.Close()
	switch err := k.DeleteValue(RunValueName); {
	case err == nil:
		return []Step{{What: "autostart", Where: r.where(), Action: ActionRemoved}}, nil
	case errors.Is(err, registry.ErrNotExist):
		return []Step{{What: "autostart", Where: r.where(), Action: ActionAbsent}}, nil
	default:
		return nil, fmt.Errorf("delete %s: %w", r.where(), err)
	}
}

func (r *runValue) status(context.Context) AutostartStatus {
	st := AutostartStatus{Kind: "run-key", Where: r.where()}
	k, err := registry.OpenKey(registry.CURRENT_USER, RunKey, registry.QUERY_VALUE)
	if err != nil {
		if !errors.Is(err, registry.ErrNotExist) {
			st.Problem = err.Error()
		}
		return st
	}
	defer k.Close()
	v, _, err := k.GetStringValue(RunValueName)
	if err != nil {
		if !errors.Is(err, registry.ErrNotExist) {
			st.Problem = err.Error()
		}
		return st
	}
	st.Installed, st.Enabled, st.Command = true, true, v
	prog, args, err := runCommandProgram(v)
	switch {
	case err != nil:
		st.Problem = err.Error()
	case checkExecutable(prog) != nil:
		st.Problem = checkExecutable(prog).Error()
	case len(args) != 1 || !strings.EqualFold(args[0], "agent"):
		st.Problem = fmt.Sprintf("runs %q with %q, want \"agent\"", prog, args)
	default:
		st.Valid = true
	}
	return st
}
