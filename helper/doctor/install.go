package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/openbpclient/bpclient/installer"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/version"
)

// HostRunner runs the host binary at path and says whether it answers as
// bpclient-host.
type HostRunner func(ctx context.Context, path string) error

// hostUsage is what bpclient-host writes on stderr, with exit status 2,
// when it is started without a browser's arguments
// (helper/hostrelay.Run): proof that the file is our host and that it
// runs, without touching the agent.
const hostUsage = "bpclient-host:"

// RunHost starts path with no arguments and expects the host's refusal.
func RunHost(ctx context.Context, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, left: 4096}
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return errors.New("it did not answer within 10 seconds")
	case errors.As(err, &exit) && exit.ExitCode() == 2 && strings.Contains(stderr.String(), hostUsage):
		return nil
	case err == nil || errors.As(err, &exit):
		return errors.New("it runs but does not answer as bpclient-host")
	default:
		return fmt.Errorf("it does not start: %w", err)
	}
}

type limitedWriter struct {
	w    *bytes.Buffer
	left int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	n := min(len(p), l.left)
	l.w.Write(p[:n])
	l.left -= n
	return len(p), nil
}

// ManifestChecks checks, for each browser, what it needs to start the
// host: the manifest is where the browser looks (on Windows: the
// registry key names it), parses, names our host, points at a
// bpclient-host that runs, and admits our extension. A browser the user
// does not use needs no manifest. runHost nil means RunHost.
func ManifestChecks(roots Roots, browsers []nativemsg.Browser, runHost HostRunner) Check {
	browsers = orAll(browsers)
	if runHost == nil {
		runHost = RunHost
	}
	return func(ctx context.Context, view View) []Result {
		ran := map[string]error{} // Brave and Vivaldi share Chrome's host on Windows
		out := make([]Result, 0, len(browsers))
		for _, b := range browsers {
			out = append(out, manifestCheck(roots, b, view.Local, func(path string) error {
				if err, done := ran[path]; done {
					return err
				}
				err := runHost(ctx, path)
				ran[path] = err
				return err
			}))
		}
		return out
	}
}

// manifestCheck checks browser b's manifest. Details that may name files
// (a manifest's own path value, an exec error) are for local views only.
func manifestCheck(roots Roots, b nativemsg.Browser, local bool, runHost func(string) error) Result {
	name := displayName(b)
	res := Result{ID: "install.manifest." + string(b), Browser: string(b), Title: name + " can start the helper", Status: OK}
	fix := "Reinstall BPClient, then close and reopen " + name + "."
	used := exists(roots.userData(b))
	fail := func(found string) Result {
		res.Status, res.Found, res.Fix = Failed, found, fix
		if !used {
			// A broken manifest of a browser not used here matters only
			// once the agent starts using that browser.
			res.Status = Warning
			res.Found += " (" + name + " has not been used on this account)"
		}
		return res
	}

	loc, err := nativemsg.ManifestLocation(roots.GOOS, b, roots.Getenv)
	if err != nil {
		return fail("the user's folders are unknown: " + err.Error())
	}
	file := loc.File
	res.Where = file
	if loc.RegistryKey != "" {
		res.Where = `HKCU\` + loc.RegistryKey
		file, err = registeredManifest(roots.Registry, loc)
		if err != nil {
			if errors.Is(err, errNotRegistered) && !used {
				res.Found = name + " is not used on this account and the helper is not registered with it"
				return res
			}
			return fail(err.Error())
		}
		res.Where += " -> " + file
	}
	data, err := os.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist) && loc.RegistryKey != "":
		return fail("the registry names a helper manifest that does not exist")
	case errors.Is(err, fs.ErrNotExist) && !used:
		res.Found = name + " is not used on this account and has no helper manifest"
		return res
	case errors.Is(err, fs.ErrNotExist):
		return fail("the helper's manifest is missing")
	case err != nil:
		return fail("the helper's manifest cannot be read")
	}
	m, err := nativemsg.ParseManifest(data)
	if err != nil {
		return fail("the helper's manifest is damaged (not valid JSON)")
	}
	fam := b.Family()
	if m.Name != nativemsg.HostName {
		return fail(fmt.Sprintf("the helper's manifest names host %q instead of %q", m.Name, nativemsg.HostName))
	}
	if err := m.Validate(fam); err != nil {
		return fail("the helper's manifest is not valid" + detail(local, strings.TrimPrefix(err.Error(), "manifest: ")))
	}
	host := m.Path
	if roots.GOOS == "windows" && !isAbsWindows(host) && !filepath.IsAbs(host) {
		host = filepath.Join(filepath.Dir(file), host) // Windows allows a path relative to the manifest
	}
	if fi, err := os.Stat(host); err != nil || !fi.Mode().IsRegular() {
		return fail("the helper program the manifest points to is missing")
	}
	if err := runHost(host); err != nil {
		return fail("the helper program the manifest points to does not work" + detail(local, err.Error()))
	}
	ours := nativemsg.ExtensionID
	if fam == nativemsg.FamilyFirefox {
		ours = nativemsg.AddonID
	}
	if !m.Allows(fam, ours) {
		return fail("the helper's manifest does not admit the BPClient extension " + ours)
	}
	if hv, differs := hostVersionMismatch(host); differs {
		res.Status = Warning
		res.Found = "the helper program the browser starts is " + hv + ", but BPClient " + version.Version + " is installed"
		res.Fix = fix
		return res
	}
	res.Found = "the manifest is in place and its helper program answers"
	if !used {
		res.Found = name + " has not been used on this account; its manifest is ready"
	}
	return res
}

// detail is ": what" for local views, nothing for the others.
func detail(local bool, what string) string {
	if !local {
		return ""
	}
	return ": " + what
}

var errNotRegistered = errors.New("the helper is not registered in the registry")

// registeredManifest is the manifest file the browser would read on
// Windows: the default value of HKCU\<RegistryKey>.
func registeredManifest(reg RegistryReader, loc nativemsg.Location) (string, error) {
	if reg == nil {
		return "", errNoRegistry
	}
	v, ok, err := reg.String("HKCU", loc.RegistryKey, "")
	switch {
	case err != nil:
		return "", fmt.Errorf("the registry cannot be read: %w", err)
	case !ok || v == "":
		return "", errNotRegistered
	}
	return v, nil
}

// isAbsWindows reports whether p is a drive-absolute or UNC path.
func isAbsWindows(p string) bool {
	return strings.HasPrefix(p, `\\`) ||
		len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

func exists(path string) bool {
	if path == "" {
		return false
	}
	_, err := os.Stat(path)
	return err == nil
}

// AgentProbe asks this user's agent whether it runs and what it is.
type AgentProbe func(ctx context.Context) installer.AgentStatus

// AgentCheck checks that the agent answers and runs this version.
func AgentCheck(probe AgentProbe) Check {
	return func(ctx context.Context, view View) []Result {
		res := Result{ID: "install.agent", Title: "The helper is running", Status: OK}
		st := probe(ctx)
		res.Where = st.Address
		switch {
		case !st.Running && st.Error != "" && strings.Contains(st.Error, "another user"):
			res.Status, res.Found = Failed, "another account's program holds the helper's address"
			res.Fix = "Restart your computer; if this stays, ask IT to check the BPClient helper."
		case !st.Running:
			// The host starts the agent when a page connects, so this
			// only means calls cannot ring before the page opens.
			res.Status, res.Found = Warning, "the helper is not running now"
			res.Fix = "Open the Agent Desktop page, or sign out and in again so the helper starts."
		case st.Version == "":
			res.Status, res.Found = Warning, "the helper runs but did not say its version"
			res.Fix = "Restart your computer so the helper starts afresh."
		case st.Version != version.Version:
			res.Status = Warning
			res.Found = fmt.Sprintf("the running helper is version %s, but version %s is installed", st.Version, version.Version)
			res.Fix = "Restart your computer so the installed version of the helper runs."
		default:
			res.Found = "the helper answers (version " + st.Version + ")"
		}
		return []Result{res}
	}
}

// AutostartProbe reports the agent's start at login.
type AutostartProbe func(ctx context.Context) installer.AutostartStatus

// AutostartCheck checks that the agent starts at login.
func AutostartCheck(probe AutostartProbe) Check {
	return func(ctx context.Context, view View) []Result {
		res := Result{ID: "install.autostart", Title: "The helper starts when you sign in", Status: OK}
		st := probe(ctx)
		res.Where = st.Where
		switch {
		case st.Kind == "none":
			res.Found = "this system has no start at login the helper knows"
		case !st.Installed:
			res.Status = Warning
			res.Found = "the helper is not set to start when you sign in, so calls ring only once the Agent Desktop page is open"
			res.Fix = "Reinstall BPClient."
		case !st.Valid:
			res.Status = Failed
			res.Found = "the helper's start at sign-in is broken"
			if view.Local && st.Problem != "" {
				res.Found += ": " + st.Problem
			}
			res.Fix = "Reinstall BPClient."
		case !st.Enabled:
			res.Status = Warning
			res.Found = "the helper's start at sign-in is installed but turned off"
			res.Fix = "Reinstall BPClient."
		default:
			res.Found = "the helper starts when you sign in (" + st.Kind + ")"
		}
		return []Result{res}
	}
}

// SelfAgent is the agent's own probe: it answers helper.doctor, so it runs.
func SelfAgent(context.Context) installer.AgentStatus {
	return installer.AgentStatus{Running: true, Version: version.Version, PID: os.Getpid()}
}
