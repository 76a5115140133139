package doctor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"howett.net/plist"

	"github.com/openbpclient/bpclient/nativemsg"
)

func policyResult(t *testing.T, roots Roots, b nativemsg.Browser) Result {
	t.Helper()
	return only(t, PolicyChecks(roots, []nativemsg.Browser{b})(context.Background(), View{Local: true}), "policy."+string(b))
}

// Linux: managed policy files written where each browser reads them,
// each blocking the helper in one of the ways an administrator can.
func TestChromePolicyLinux(t *testing.T) {
	roots, _ := testRoots(t)
	for _, b := range []nativemsg.Browser{nativemsg.Chrome, nativemsg.Chromium, nativemsg.Edge, nativemsg.Brave} {
		mustMkdir(t, roots.userData(b))
	}
	dir := roots.system(browserOf(nativemsg.Chrome).linuxPolicy)
	wantResult(t, policyResult(t, roots, nativemsg.Chrome), OK, "no enterprise policy", "")

	write := func(name, body string) {
		t.Helper()
		mustWrite(t, filepath.Join(dir, name), body)
	}
	reset := func() {
		t.Helper()
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	id := nativemsg.ExtensionID
	cases := []struct {
		name   string
		files  map[string]string
		status Status
		found  string
		fix    string
	}{
		{"all hosts blocked", map[string]string{"a.json": `{"NativeMessagingBlocklist": ["*"]}`}, Failed,
			"NativeMessagingBlocklist policy blocks the helper", "add org.openbpclient.bpclient to Google Chrome's NativeMessagingAllowlist policy"},
		{"ours blocked by name, legacy policy", map[string]string{"a.json": `{"NativeMessagingBlacklist": ["org.openbpclient.bpclient"]}`}, Failed,
			"NativeMessagingBlocklist", "NativeMessagingAllowlist"},
		{"all blocked, ours allowed in another file", map[string]string{"a.json": `{"NativeMessagingBlocklist": ["*"]}`, "b.json": `{"NativeMessagingAllowlist": ["org.openbpclient.bpclient"]}`}, OK,
			"none blocks", ""},
		{"user-level hosts off", map[string]string{"a.json": `{"NativeMessagingUserLevelHosts": false}`}, Failed,
			"installed for this user only", "NativeMessagingUserLevelHosts"},
		{"user-level hosts on", map[string]string{"a.json": `{"NativeMessagingUserLevelHosts": true}`}, OK, "none blocks", ""},
		{"every extension blocked", map[string]string{"a.json": `{"ExtensionInstallBlocklist": ["*"]}`}, Failed,
			"ExtensionInstallBlocklist policy blocks the BPClient extension", "allow the BPClient extension (" + id + ")"},
		{"every extension blocked, ours allowed", map[string]string{"a.json": `{"ExtensionInstallBlocklist": ["*"], "ExtensionInstallAllowlist": ["` + id + `"]}`}, OK, "none blocks", ""},
		{"every extension blocked, ours forced", map[string]string{"a.json": `{"ExtensionInstallBlocklist": ["*"], "ExtensionInstallForcelist": ["` + id + `;https://clients2.google.com/service/update2/crx"]}`}, OK, "none blocks", ""},
		{"ExtensionSettings blocks all", map[string]string{"a.json": `{"ExtensionSettings": {"*": {"installation_mode": "blocked"}}}`}, Failed,
			"ExtensionSettings policy blocks", "ExtensionSettings policy"},
		{"ExtensionSettings removes ours", map[string]string{"a.json": `{"ExtensionSettings": {"` + id + `": {"installation_mode": "removed"}}}`}, Failed, "ExtensionSettings", ""},
		{"ExtensionSettings allows ours over a blocklist", map[string]string{"a.json": `{"ExtensionInstallBlocklist": ["*"], "ExtensionSettings": {"` + id + `": {"installation_mode": "allowed"}}}`}, OK, "none blocks", ""},
		{"two blocks at once", map[string]string{"a.json": `{"NativeMessagingBlocklist": ["*"], "NativeMessagingUserLevelHosts": false}`}, Failed,
			"blocks the helper; the NativeMessagingUserLevelHosts", "NativeMessagingAllowlist policy, and to allow user-level"},
		{"not JSON", map[string]string{"a.json": `{"NativeMessagingBlocklist": [`}, Warning, "cannot be read", "check the browser's policies"},
		{"other files ignored", map[string]string{"a.json.bak": `{"NativeMessagingBlocklist": ["*"]}`}, OK, "no enterprise policy", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reset()
			for n, body := range c.files {
				write(n, body)
			}
			r := policyResult(t, roots, nativemsg.Chrome)
			wantResult(t, r, c.status, c.found, c.fix)
			if c.status != OK && !strings.HasPrefix(r.Where, dir) {
				t.Errorf("where %q, want a file of %s", r.Where, dir)
			}
		})
	}

	// Each browser reads its own folder.
	reset()
	for _, b := range []nativemsg.Browser{nativemsg.Chromium, nativemsg.Edge, nativemsg.Brave} {
		mustWrite(t, filepath.Join(roots.system(browserOf(b).linuxPolicy), "p.json"), `{"NativeMessagingBlocklist": ["*"]}`)
		wantResult(t, policyResult(t, roots, b), Failed, "NativeMessagingBlocklist", displayName(b)+"'s NativeMessagingAllowlist")
	}
	wantResult(t, policyResult(t, roots, nativemsg.Chrome), OK, "no enterprise policy", "")
}

// macOS: managed preferences as the MDM writes them, in binary and XML
// plist, machine-wide and for the user.
func TestChromePolicyDarwin(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"HOME": filepath.Join(dir, "home")}
	roots := Roots{GOOS: "darwin", Getenv: func(k string) string { return env[k] }, System: filepath.Join(dir, "sys"), User: "agent"}
	mustMkdir(t, roots.userData(nativemsg.Edge))
	managed := roots.system("/Library/Managed Preferences")
	enc := func(format int, v any) string {
		data, err := plist.Marshal(v, format)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	wantResult(t, policyResult(t, roots, nativemsg.Edge), OK, "no enterprise policy", "")

	mustWrite(t, filepath.Join(managed, "com.microsoft.Edge.plist"), enc(plist.BinaryFormat, map[string]any{"NativeMessagingBlocklist": []string{"*"}}))
	wantResult(t, policyResult(t, roots, nativemsg.Edge), Failed, "NativeMessagingBlocklist", "Microsoft Edge's NativeMessagingAllowlist")

	mustWrite(t, filepath.Join(managed, "agent", "com.microsoft.Edge.plist"), enc(plist.XMLFormat, map[string]any{"NativeMessagingAllowlist": []string{nativemsg.HostName}}))
	wantResult(t, policyResult(t, roots, nativemsg.Edge), OK, "none blocks", "")

	mustWrite(t, filepath.Join(managed, "com.microsoft.Edge.plist"), enc(plist.BinaryFormat, map[string]any{"NativeMessagingUserLevelHosts": false,
		"ExtensionSettings": map[string]any{"*": map[string]any{"installation_mode": "blocked"}}}))
	wantResult(t, policyResult(t, roots, nativemsg.Edge), Failed, "installed for this user only; the ExtensionSettings policy blocks", "")

	mustWrite(t, filepath.Join(managed, "com.microsoft.Edge.plist"), "garbage")
	wantResult(t, policyResult(t, roots, nativemsg.Edge), Warning, "cannot be read", "")
}

// Windows: the policies in HKLM and HKCU as Group Policy writes them,
// read through an injected registry reader.
func TestChromePolicyWindows(t *testing.T) {
	reg := fakeRegistry{strs: map[string]string{}, ints: map[string]uint64{}, lists: map[string][]string{}}
	env := map[string]string{"LOCALAPPDATA": `C:\Users\agent\AppData\Local`}
	roots := Roots{GOOS: "windows", Getenv: func(k string) string { return env[k] }, Registry: reg}
	key := `Software\Policies\Google\Chrome`
	// Chrome is not used in this fake home: blocks are warnings.
	wantResult(t, policyResult(t, roots, nativemsg.Chrome), OK, "no enterprise policy", "")

	reg.lists[`HKLM\`+key+`\NativeMessagingBlocklist`] = []string{"*"}
	r := policyResult(t, roots, nativemsg.Chrome)
	wantResult(t, r, Warning, "NativeMessagingBlocklist policy blocks the helper", "NativeMessagingAllowlist")
	if r.Where != `HKLM\`+key {
		t.Errorf("where %q", r.Where)
	}
	reg.lists[`HKCU\`+key+`\NativeMessagingAllowlist`] = []string{"com.example.other", nativemsg.HostName}
	wantResult(t, policyResult(t, roots, nativemsg.Chrome), OK, "none blocks", "")

	reg.ints[`HKLM\`+key+`\NativeMessagingUserLevelHosts`] = 0
	wantResult(t, policyResult(t, roots, nativemsg.Chrome), Warning, "NativeMessagingUserLevelHosts", "")
	reg.ints[`HKLM\`+key+`\NativeMessagingUserLevelHosts`] = 1
	wantResult(t, policyResult(t, roots, nativemsg.Chrome), OK, "none blocks", "")

	reg.strs[`HKCU\`+key+`\ExtensionSettings`] = `{"` + nativemsg.ExtensionID + `": {"installation_mode": "blocked"}}`
	wantResult(t, policyResult(t, roots, nativemsg.Chrome), Warning, "ExtensionSettings policy blocks the BPClient extension", "")

	// Edge has keys of its own.
	reg.lists[`HKLM\Software\Policies\Microsoft\Edge\ExtensionInstallBlocklist`] = []string{nativemsg.ExtensionID}
	wantResult(t, policyResult(t, roots, nativemsg.Edge), Warning, "ExtensionInstallBlocklist", "Microsoft Edge's ExtensionInstallBlocklist")

	// Firefox's GPO form.
	reg.strs[`HKLM\`+firefoxPolicyKey+`\ExtensionSettings`] = `{"*": {"installation_mode": "blocked"}}`
	wantResult(t, policyResult(t, roots, nativemsg.Firefox), Warning, "ExtensionSettings policy blocks the BPClient add-on", "Firefox's ExtensionSettings")

	roots.Registry = nil
	wantResult(t, policyResult(t, roots, nativemsg.Chrome), Warning, "cannot be read", "")
}

func TestFirefoxPolicyLinux(t *testing.T) {
	roots, _ := testRoots(t)
	mustMkdir(t, roots.userData(nativemsg.Firefox))
	etc := roots.system("/etc/firefox/policies/policies.json")
	dist := roots.system("/usr/lib/firefox-esr/distribution/policies.json")
	wantResult(t, policyResult(t, roots, nativemsg.Firefox), OK, "no enterprise policy", "")

	mustWrite(t, etc, `{"policies": {"ExtensionSettings": {"*": {"installation_mode": "blocked", "blocked_install_message": "Ask IT"}}}}`)
	r := policyResult(t, roots, nativemsg.Firefox)
	wantResult(t, r, Failed, "ExtensionSettings policy blocks the BPClient add-on", "allow the BPClient add-on ("+nativemsg.AddonID+") in Firefox's ExtensionSettings policy")
	if r.Where != etc {
		t.Errorf("where %q, want %s", r.Where, etc)
	}
	mustWrite(t, etc, `{"policies": {"ExtensionSettings": {"*": {"installation_mode": "blocked"}, "`+nativemsg.AddonID+`": {"installation_mode": "allowed"}}}}`)
	wantResult(t, policyResult(t, roots, nativemsg.Firefox), OK, "none blocks", "")

	mustWrite(t, dist, `{"policies": {"Extensions": {"Uninstall": ["`+nativemsg.AddonID+`"]}}}`)
	wantResult(t, policyResult(t, roots, nativemsg.Firefox), Failed, "Extensions.Uninstall", "")

	mustWrite(t, dist, `{"policies": `)
	wantResult(t, policyResult(t, roots, nativemsg.Firefox), Warning, "cannot be read", "")
}
