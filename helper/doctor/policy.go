package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"howett.net/plist"

	"github.com/openbpclient/bpclient/nativemsg"
)

// policyDoc is one source of policies: a file or a registry key, what it
// says in JSON, or why it cannot be read.
type policyDoc struct {
	where string
	json  []byte
	err   error
}

// chromePolicySources reads browser b's mandatory policies from where
// this OS keeps them: the managed folder's JSON files on Linux; on macOS
// the managed preferences plists (machine-wide and the user's, binary or
// XML, read without cgo by howett.net/plist); on Windows HKLM and HKCU
// below the browser's Software\Policies key. The layout is data chosen by
// Roots.GOOS, so every OS's is tested on any.
func (r Roots) chromePolicySources(b nativemsg.Browser) []policyDoc {
	info := browserOf(b)
	switch r.GOOS {
	case "windows":
		if info.windowsPolicy == "" {
			return nil
		}
		var docs []policyDoc
		for _, hive := range []string{"HKLM", "HKCU"} {
			docs = append(docs, r.chromeRegistryPolicy(hive, info.windowsPolicy)...)
		}
		return docs
	case "darwin":
		if info.darwinDomain == "" {
			return nil
		}
		dir := r.system("/Library/Managed Preferences")
		files := []string{filepath.Join(dir, info.darwinDomain+".plist")}
		if r.User != "" {
			files = append(files, filepath.Join(dir, r.User, info.darwinDomain+".plist"))
		}
		var docs []policyDoc
		for _, f := range files {
			if d, ok := readPlistAsJSON(f); ok {
				docs = append(docs, d)
			}
		}
		return docs
	default:
		if info.linuxPolicy == "" {
			return nil
		}
		return readJSONDir(r.system(info.linuxPolicy))
	}
}

// readJSONDir reads every *.json file of dir in name order, as Chrome
// does on Linux.
func readJSONDir(dir string) []policyDoc {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return []policyDoc{{where: dir, err: err}}
	}
	var docs []policyDoc
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		docs = append(docs, policyDoc{where: path, json: data, err: err})
	}
	return docs
}

// readPlistAsJSON reads a plist (binary or XML) and re-encodes its
// dictionary as JSON for the policy parser; ok is false when the file is
// absent.
func readPlistAsJSON(path string) (policyDoc, bool) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return policyDoc{}, false
	}
	doc := policyDoc{where: path}
	if err != nil {
		doc.err = err
		return doc, true
	}
	var m map[string]any
	if _, err := plist.Unmarshal(data, &m); err != nil {
		doc.err = err
		return doc, true
	}
	doc.json, doc.err = json.Marshal(m)
	return doc, true
}

// chromeListPolicies are the list policies read from the registry, where
// each is a key of values named 1, 2, 3...
var chromeListPolicies = []string{
	"NativeMessagingBlocklist", "NativeMessagingBlacklist",
	"NativeMessagingAllowlist", "NativeMessagingWhitelist",
	"ExtensionInstallBlocklist", "ExtensionInstallBlacklist",
	"ExtensionInstallAllowlist", "ExtensionInstallWhitelist",
	"ExtensionInstallForcelist",
}

// chromeRegistryPolicy reads one hive's policies of a Chromium browser
// into the JSON form: list policies are subkeys of numbered REG_SZ
// values, NativeMessagingUserLevelHosts a REG_DWORD, ExtensionSettings a
// REG_SZ of JSON.
func (r Roots) chromeRegistryPolicy(hive, key string) []policyDoc {
	where := hive + `\` + key
	if r.Registry == nil {
		return []policyDoc{{where: where, err: errNoRegistry}}
	}
	pol := map[string]any{}
	var errs []error
	for _, name := range chromeListPolicies {
		vals, ok, err := r.Registry.Strings(hive, key+`\`+name)
		errs = append(errs, err)
		if ok {
			pol[name] = vals
		}
	}
	if v, ok, err := r.Registry.Integer(hive, key, "NativeMessagingUserLevelHosts"); ok {
		pol["NativeMessagingUserLevelHosts"] = v != 0
	} else {
		errs = append(errs, err)
	}
	if v, ok, err := r.Registry.String(hive, key, "ExtensionSettings"); ok {
		pol["ExtensionSettings"] = v
	} else {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return []policyDoc{{where: where, err: err}}
	}
	if len(pol) == 0 {
		return nil
	}
	data, err := json.Marshal(pol)
	return []policyDoc{{where: where, json: data, err: err}}
}

// firefoxPolicySources are the policies.json files Firefox reads (the
// system-wide /etc/firefox/policies on Linux, and the distribution folder
// of each usual install folder), and on Windows the GPO keys.
func (r Roots) firefoxPolicySources() []policyDoc {
	var files []string
	var docs []policyDoc
	switch r.GOOS {
	case "windows":
		for _, env := range []string{"ProgramFiles", "ProgramFiles(x86)"} {
			if pf := r.Getenv(env); pf != "" {
				files = append(files, filepath.Join(pf, "Mozilla Firefox", "distribution", "policies.json"))
			}
		}
		for _, hive := range []string{"HKLM", "HKCU"} {
			docs = append(docs, r.firefoxRegistryPolicy(hive)...)
		}
	case "darwin":
		files = append(files, r.system("/Applications/Firefox.app/Contents/Resources/distribution/policies.json"))
	default:
		files = append(files, r.system("/etc/firefox/policies/policies.json"))
		for _, dir := range []string{"/usr/lib/firefox", "/usr/lib/firefox-esr", "/usr/lib64/firefox", "/opt/firefox"} {
			files = append(files, r.system(dir+"/distribution/policies.json"))
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		docs = append(docs, policyDoc{where: f, json: data, err: err})
	}
	return docs
}

const firefoxPolicyKey = `Software\Policies\Mozilla\Firefox`

// firefoxRegistryPolicy reads the GPO form of the policies we check, as
// a policies.json document.
func (r Roots) firefoxRegistryPolicy(hive string) []policyDoc {
	where := hive + `\` + firefoxPolicyKey
	if r.Registry == nil {
		return []policyDoc{{where: where, err: errNoRegistry}}
	}
	pol := map[string]any{}
	settings, okS, errS := r.Registry.String(hive, firefoxPolicyKey, "ExtensionSettings")
	if okS {
		pol["ExtensionSettings"] = settings
	}
	uninstall, okU, errU := r.Registry.Strings(hive, firefoxPolicyKey+`\Extensions\Uninstall`)
	if okU {
		pol["Extensions"] = map[string]any{"Uninstall": uninstall}
	}
	if err := errors.Join(errS, errU); err != nil {
		return []policyDoc{{where: where, err: err}}
	}
	if len(pol) == 0 {
		return nil
	}
	data, err := json.Marshal(map[string]any{"policies": pol})
	return []policyDoc{{where: where, json: data, err: err}}
}

// PolicyChecks checks, per browser, that no enterprise policy keeps the
// helper or the extension out: for Chromium browsers the native
// messaging block and allow lists, NativeMessagingUserLevelHosts (our
// manifests are per-user), the extension install block list and
// ExtensionSettings; for Firefox ExtensionSettings and
// Extensions.Uninstall. Vivaldi documents no policy locations and is not
// checked.
func PolicyChecks(roots Roots, browsers []nativemsg.Browser) Check {
	browsers = orAll(browsers)
	return func(ctx context.Context, view View) []Result {
		var out []Result
		for _, b := range browsers {
			switch {
			case b == nativemsg.Firefox:
				out = append(out, firefoxPolicyCheck(roots))
			case b.Family() == nativemsg.FamilyChromium && browserOf(b).linuxPolicy != "":
				out = append(out, chromePolicyCheck(roots, b))
			}
		}
		return out
	}
}

// policyFindings gathers what a browser's policies block, for one result.
type policyFindings struct {
	res     Result
	used    bool
	found   []string
	asks    []string
	where   []string
	unread  []string
	sources int
}

func newPolicyFindings(roots Roots, b nativemsg.Browser) *policyFindings {
	return &policyFindings{
		res:  Result{ID: "policy." + string(b), Browser: string(b), Title: displayName(b) + " allows the helper", Status: OK},
		used: exists(roots.userData(b)),
	}
}

func (f *policyFindings) block(where, found, ask string) {
	f.found = append(f.found, found)
	if !slices.Contains(f.asks, ask) {
		f.asks = append(f.asks, ask)
	}
	if !slices.Contains(f.where, where) {
		f.where = append(f.where, where)
	}
}

func (f *policyFindings) result() Result {
	r := f.res
	switch {
	case len(f.found) > 0:
		r.Status = Failed
		r.Found = strings.Join(f.found, "; ")
		r.Fix = "Ask your IT department to " + strings.Join(f.asks, ", and to ") + "."
		r.Where = strings.Join(f.where, ", ")
		if !f.used {
			r.Status = Warning
			r.Found += " (the browser has not been used on this account)"
		}
	case len(f.unread) > 0:
		r.Status = Warning
		r.Found = "a policy of the browser cannot be read, so the browser may ignore it or the check may miss a block"
		r.Fix = "Ask your IT department to check the browser's policies."
		r.Where = strings.Join(f.unread, ", ")
	case f.sources > 0:
		r.Found = "the browser has enterprise policies; none blocks the helper or its extension"
	default:
		r.Found = "no enterprise policy of the browser"
	}
	return r
}

// chromePolicyCheck merges every source first: an admin may block all
// hosts in one file and allow ours in another.
func chromePolicyCheck(roots Roots, b nativemsg.Browser) Result {
	name := displayName(b)
	f := newPolicyFindings(roots, b)
	var merged chromePolicy
	var read []string
	for _, doc := range roots.chromePolicySources(b) {
		f.sources++
		p, err := doc.policy()
		if err != nil {
			f.unread = append(f.unread, doc.where)
			continue
		}
		merged.merge(p)
		read = append(read, doc.where)
	}
	where := strings.Join(read, ", ")
	if merged.hostBlocked(nativemsg.HostName) {
		f.block(where, "the NativeMessagingBlocklist policy blocks the helper",
			"add "+nativemsg.HostName+" to "+name+"'s NativeMessagingAllowlist policy")
	}
	if merged.userLevelHostsOff {
		f.block(where, "the NativeMessagingUserLevelHosts policy makes the browser ignore the helper, which is installed for this user only",
			"allow user-level native messaging hosts in "+name+" (NativeMessagingUserLevelHosts)")
	}
	if blocked, by := merged.extensionBlocked(nativemsg.ExtensionID); blocked {
		f.block(where, "the "+by+" policy blocks the BPClient extension",
			"allow the BPClient extension ("+nativemsg.ExtensionID+") in "+name+"'s "+by+" policy")
	}
	return f.result()
}

func firefoxPolicyCheck(roots Roots) Result {
	f := newPolicyFindings(roots, nativemsg.Firefox)
	var merged firefoxPolicy
	var read []string
	for _, doc := range roots.firefoxPolicySources() {
		f.sources++
		if doc.err != nil {
			f.unread = append(f.unread, doc.where)
			continue
		}
		p, err := parseFirefoxPolicy(doc.json)
		if err != nil {
			f.unread = append(f.unread, doc.where)
			continue
		}
		merged.merge(p)
		read = append(read, doc.where)
	}
	if blocked, by := merged.addonBlocked(nativemsg.AddonID); blocked {
		f.block(strings.Join(read, ", "), "the "+by+" policy blocks the BPClient add-on",
			"allow the BPClient add-on ("+nativemsg.AddonID+") in Firefox's "+by+" policy")
	}
	return f.result()
}

func (d policyDoc) policy() (chromePolicy, error) {
	if d.err != nil {
		return chromePolicy{}, d.err
	}
	return parseChromePolicy(d.json)
}
