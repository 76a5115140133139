package installer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/openbpclient/bpclient/nativemsg"
)

// Status is what bpclient status reports.
type Status struct {
	Manifests []ManifestStatus `json:"manifests"`
	Autostart AutostartStatus  `json:"autostart"`
	Agent     AgentStatus      `json:"agent"`
}

// ManifestStatus is one browser's registration.
type ManifestStatus struct {
	Browser     string `json:"browser"`
	File        string `json:"file"`
	RegistryKey string `json:"registryKey,omitempty"` // Windows: under HKCU
	Present     bool   `json:"present"`
	Valid       bool   `json:"valid"`
	Problem     string `json:"problem,omitempty"` // why it is not valid
	HostPath    string `json:"hostPath,omitempty"`
	// Allowed lists the callers the manifest admits: origins for
	// Chromium, add-on ids for Firefox.
	Allowed []string `json:"allowed,omitempty"`
}

// AutostartStatus is the agent's start at login.
type AutostartStatus struct {
	// Kind is "systemd-user", "launchd", "run-key" or "none".
	Kind string `json:"kind"`
	// Where is the unit, plist or registry value.
	Where     string `json:"where,omitempty"`
	Installed bool   `json:"installed"`
	// Enabled: the unit is wanted by default.target (Linux), the plist
	// exists (macOS), the Run value exists (Windows).
	Enabled bool   `json:"enabled"`
	Valid   bool   `json:"valid"`
	Problem string `json:"problem,omitempty"`
	Command string `json:"command,omitempty"` // what it runs
	// Manager is what the service manager says, or why it was not asked.
	Manager string `json:"manager,omitempty"`
}

// AgentStatus says whether an agent answers on this user's endpoint.
type AgentStatus struct {
	Address       string  `json:"address,omitempty"`
	Running       bool    `json:"running"`
	Version       string  `json:"version,omitempty"`
	PID           int     `json:"pid,omitempty"`
	UptimeSeconds float64 `json:"uptimeSeconds,omitempty"`
	Error         string  `json:"error,omitempty"` // why it is not known to run
}

// Status checks each browser's manifest, the login start and the agent.
// A manifest is valid when it parses, names our host, its path exists and
// is executable, and it admits our extension.
func (in *Installer) Status(ctx context.Context, browsers []nativemsg.Browser) (*Status, error) {
	locs, err := in.locations(browsers)
	if err != nil {
		return nil, err
	}
	st := &Status{}
	for _, loc := range locs {
		st.Manifests = append(st.Manifests, in.manifestStatus(loc))
	}
	st.Autostart = in.autostart.status(ctx)
	if in.agent != nil {
		st.Agent = in.agent.Status(ctx)
	} else {
		st.Agent.Error = "not asked"
	}
	return st, nil
}

func (in *Installer) manifestStatus(loc nativemsg.Location) ManifestStatus {
	ms := ManifestStatus{Browser: string(loc.Browser), File: loc.File, RegistryKey: loc.RegistryKey}
	file, err := in.registry.lookup(loc)
	if err != nil {
		ms.Problem = err.Error() // errNotRegistered: no registry key
		return ms
	}
	if file != loc.File {
		ms.File = file
	}
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			ms.Problem = "no manifest"
			if loc.RegistryKey != "" {
				ms.Problem = "registry key points to a missing file"
			}
		} else {
			ms.Problem = err.Error()
		}
		return ms
	}
	ms.Present = true
	m, err := nativemsg.ParseManifest(data)
	if err != nil {
		ms.Problem = err.Error()
		return ms
	}
	fam := loc.Browser.Family()
	ms.HostPath = m.Path
	ms.Allowed = m.AllowedOrigins
	if fam == nativemsg.FamilyFirefox {
		ms.Allowed = m.AllowedExtensions
	}
	ours := nativemsg.ExtensionID
	if fam == nativemsg.FamilyFirefox {
		ours = nativemsg.AddonID
	}
	switch {
	case m.Name != nativemsg.HostName:
		ms.Problem = fmt.Sprintf("names host %q, want %q", m.Name, nativemsg.HostName)
	case m.Validate(fam) != nil:
		ms.Problem = m.Validate(fam).Error()
	case checkExecutable(hostPathOf(m.Path, file)) != nil:
		ms.Problem = "host: " + checkExecutable(hostPathOf(m.Path, file)).Error()
	case !m.Allows(fam, ours):
		ms.Problem = "does not admit the bpclient extension " + ours
	default:
		ms.Valid = true
	}
	return ms
}

// hostPathOf resolves a manifest's path: Windows allows one relative to
// the manifest's folder.
func hostPathOf(path, manifest string) string {
	if runtime.GOOS == "windows" && !filepath.IsAbs(path) {
		return filepath.Join(filepath.Dir(manifest), path)
	}
	return path
}

// Healthy reports whether every manifest is valid and the autostart is
// installed and valid (or deliberately absent: pass wantAutostart false).
func (s *Status) Healthy(wantAutostart bool) bool {
	for _, m := range s.Manifests {
		if !m.Valid {
			return false
		}
	}
	return !wantAutostart || (s.Autostart.Installed && s.Autostart.Valid)
}

// WriteText prints the status as a table for people.
func (s *Status) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BROWSER\tMANIFEST\tWHERE")
	for _, m := range s.Manifests {
		state := "ok"
		switch {
		case !m.Present && (m.Problem == "no manifest" || m.Problem == errNotRegistered.Error()):
			state = "missing"
		case !m.Present:
			state = "missing (" + m.Problem + ")"
		case !m.Valid:
			state = "invalid: " + m.Problem
		}
		where := m.File
		if m.RegistryKey != "" {
			where = `HKCU\` + m.RegistryKey + " -> " + m.File
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Browser, state, where)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	a := s.Autostart
	state := "not installed"
	switch {
	case a.Kind == "none":
		state = "unsupported"
	case a.Installed && !a.Valid:
		state = "invalid: " + a.Problem
	case a.Installed && a.Enabled:
		state = "enabled"
	case a.Installed:
		state = "installed, not enabled"
	}
	line := fmt.Sprintf("autostart: %s", state)
	if a.Where != "" {
		line += " (" + a.Kind + " " + a.Where + ")"
	}
	if a.Manager != "" {
		line += "; " + a.Manager
	}
	fmt.Fprintln(w, line)

	ag := s.Agent
	if ag.Running {
		var parts []string
		if ag.Version != "" {
			parts = append(parts, "version "+ag.Version)
		}
		if ag.PID != 0 {
			parts = append(parts, fmt.Sprintf("pid %d", ag.PID))
		}
		if ag.UptimeSeconds > 0 {
			parts = append(parts, "up "+time.Duration(ag.UptimeSeconds*float64(time.Second)).Round(time.Second).String())
		}
		if ag.Address != "" {
			parts = append(parts, "at "+ag.Address)
		}
		_, err := fmt.Fprintf(w, "agent: running (%s)\n", strings.Join(parts, ", "))
		return err
	}
	line = "agent: not running"
	if ag.Error != "" {
		line += " (" + ag.Error + ")"
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// WriteText prints the report for people, one step a line.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range r.Steps {
		line := s.What + "\t" + s.Action + "\t" + s.Where
		if s.Note != "" {
			if s.Where != "" {
				line += " "
			}
			line += "(" + s.Note + ")"
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

// read reads the unit or plist at path into the status: Where is set, and
// a file that cannot be read (other than a missing one, which just means
// not installed) becomes the Problem.
func (st *AutostartStatus) read(path string) ([]byte, bool) {
	st.Where = path
	data, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			st.Problem = err.Error()
		}
		return nil, false
	}
	return data, true
}
