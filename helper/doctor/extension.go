package doctor

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/openbpclient/bpclient/nativemsg"
)

// extensionsPage is where people turn extensions on in each browser. A
// switch, not a map: a map literal is built by the package's initialiser
// in every process that links the package (BENCHMARKS.md, the idle
// agent's memory).
func extensionsPage(k nativemsg.Browser) string {
	switch k {
	case nativemsg.Chrome, nativemsg.Chromium:
		return "chrome://extensions"
	case nativemsg.Edge:
		return "edge://extensions"
	case nativemsg.Brave:
		return "brave://extensions"
	case nativemsg.Vivaldi:
		return "vivaldi://extensions"
	case nativemsg.Firefox:
		return "about:addons"
	}
	return ""
}

// profileFinding is one profile's answer before the per-browser pass
// decides how bad a missing extension is.
type profileFinding struct {
	res     Result
	on      bool // installed and turned on
	missing bool
}

// ExtensionChecks checks, per browser and per profile found, that the
// BPClient extension is installed and turned on: Chromium browsers'
// Preferences / Secure Preferences (extensions.settings.<id>), Firefox's
// extensions.json of each profiles.ini profile. Where the extension is
// missing from every profile of a browser used here, each profile warns;
// where another profile has it on, a profile without it is fine.
func ExtensionChecks(roots Roots, browsers []nativemsg.Browser) Check {
	browsers = orAll(browsers)
	return func(ctx context.Context, view View) []Result {
		var out []Result
		for _, b := range browsers {
			dir := roots.userData(b)
			if !exists(dir) {
				continue // not used here: nothing to say
			}
			var found []profileFinding
			if b == nativemsg.Firefox {
				found = firefoxProfiles(dir)
			} else {
				found = chromiumProfiles(b, dir)
			}
			somewhere := slices.ContainsFunc(found, func(f profileFinding) bool { return f.on })
			for _, f := range found {
				r := f.res
				if f.missing && somewhere {
					r.Status, r.Fix = OK, ""
					r.Found += "; another profile of this browser has it on"
				}
				out = append(out, r)
			}
		}
		return out
	}
}

func extensionResult(b nativemsg.Browser, profile, where string) Result {
	return Result{
		ID:      "extension." + string(b) + "." + profile,
		Browser: string(b),
		Title:   "The BPClient extension is on in " + displayName(b) + " (profile " + profile + ")",
		Status:  OK,
		Where:   where,
	}
}

// chromiumProfiles lists the profiles of a Chromium user data folder: the
// folders holding a Preferences file (Default, Profile 1, ...), but not
// the Guest and System profiles Chromium keeps for itself.
func chromiumProfiles(b nativemsg.Browser, dir string) []profileFinding {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []profileFinding
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || name == "System Profile" || name == "Guest Profile" {
			continue
		}
		prefs := filepath.Join(dir, name, "Preferences")
		if !exists(prefs) {
			continue
		}
		out = append(out, chromiumProfile(b, name, prefs))
	}
	return out
}

func chromiumProfile(b nativemsg.Browser, profile, prefsFile string) profileFinding {
	f := profileFinding{res: extensionResult(b, profile, prefsFile)}
	name := displayName(b)
	var st chromiumExtState
	// Secure Preferences holds the protected settings where the platform
	// uses it; it wins over Preferences.
	for _, file := range []string{prefsFile, filepath.Join(filepath.Dir(prefsFile), "Secure Preferences")} {
		data, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		var s chromiumExtState
		if err == nil {
			s, err = chromiumExtension(data, nativemsg.ExtensionID)
		}
		if err != nil {
			f.res.Status, f.res.Found = Warning, "the profile's settings cannot be read (the browser may be writing them)"
			f.res.Fix = "Close and reopen " + name + ", then check again."
			return f
		}
		if s.installed {
			st = s
			f.res.Where = file
		}
	}
	switch {
	case !st.installed:
		f.missing = true
		f.res.Status = Warning
		f.res.Found = "the BPClient extension is not installed in this profile"
		f.res.Fix = "If you use the Agent Desktop in this profile of " + name + ", install the BPClient extension in it."
	case st.disabled:
		f.res.Status = Failed
		f.res.Found = "the BPClient extension is turned off in this profile"
		f.res.Fix = "Open " + extensionsPage(b) + " in " + name + " and turn BPClient on."
		switch {
		case slices.Contains(st.reasons, 4):
			f.res.Found = "the BPClient extension is turned off until you approve its new permissions"
			f.res.Fix = "Open " + extensionsPage(b) + " in " + name + ", turn BPClient on and accept its permissions."
		case len(st.reasons) > 0 && !slices.Contains(st.reasons, 1):
			f.res.Found = "the browser turned the BPClient extension off (reason " + reasonList(st.reasons) + ")"
			f.res.Fix = "Open " + extensionsPage(b) + " in " + name + " and turn BPClient on; if you cannot, reinstall the extension or ask your IT department."
		}
	default:
		f.on = true
		f.res.Found = "the BPClient extension is installed and on"
	}
	return f
}

func reasonList(reasons []int) string {
	s := make([]string, len(reasons))
	for i, r := range reasons {
		s[i] = strconv.Itoa(r)
	}
	return strings.Join(s, ", ")
}

// firefoxProfiles reads profiles.ini and each profile's extensions.json.
func firefoxProfiles(dir string) []profileFinding {
	data, err := os.ReadFile(filepath.Join(dir, "profiles.ini"))
	if err != nil {
		return nil
	}
	var out []profileFinding
	for _, p := range parseProfilesINI(data) {
		path := p.path
		if p.relative {
			path = filepath.Join(dir, filepath.FromSlash(path))
		}
		out = append(out, firefoxProfile(filepath.Base(path), filepath.Join(path, "extensions.json")))
	}
	return out
}

func firefoxProfile(profile, file string) profileFinding {
	f := profileFinding{res: extensionResult(nativemsg.Firefox, profile, file)}
	data, err := os.ReadFile(file)
	var st firefoxAddonState
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = nil // Firefox writes extensions.json once an add-on is installed
	case err == nil:
		st, err = firefoxAddon(data, nativemsg.AddonID)
	}
	if err != nil {
		f.res.Status, f.res.Found = Warning, "the profile's add-on list cannot be read (Firefox may be writing it)"
		f.res.Fix = "Close and reopen Firefox, then check again."
		return f
	}
	switch {
	case !st.installed:
		f.missing = true
		f.res.Status = Warning
		// A real Firefox ESR (153 here) does not write add-ons loaded for the
		// session (about:debugging, Marionette's temporary install) to
		// extensions.json: say so, for the developers who do that.
		f.res.Found = "the BPClient add-on is not installed in this profile (an add-on loaded temporarily from about:debugging is not listed)"
		f.res.Fix = "If you use the Agent Desktop in this profile of Firefox, install the BPClient add-on in it."
	case st.userDisabled:
		f.res.Status = Failed
		f.res.Found = "the BPClient add-on is turned off in this profile"
		f.res.Fix = "Open about:addons in Firefox and turn BPClient on."
	case st.appDisabled || !st.active:
		f.res.Status = Failed
		f.res.Found = "Firefox turned the BPClient add-on off (not signed, or not compatible with this Firefox)"
		f.res.Fix = "Reinstall the BPClient add-on, or ask your IT department for the current one."
	default:
		f.on = true
		f.res.Found = "the BPClient add-on is installed and on"
	}
	return f
}
