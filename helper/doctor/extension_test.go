package doctor

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/openbpclient/bpclient/nativemsg"
)

// chromiumPrefs is a Preferences file as Chromium writes it, with our
// extension's entry (settings trimmed to the fields that matter).
func chromiumPrefs(entry string) string {
	return `{"extensions":{"last_chrome_version":"156.0.8078.114","settings":{"` + nativemsg.ExtensionID + `":` + entry +
		`,"mhjfbmdgcfjbbpaeojofohoefgiehjai":{"disable_reasons":[],"location":5}}},"profile":{"name":"Person 1"}}`
}

func TestExtensionChecksChromiumFormats(t *testing.T) {
	roots, _ := testRoots(t)
	data := roots.userData(nativemsg.Edge)
	write := func(profile, file, body string) { mustWrite(t, filepath.Join(data, profile, file), body) }
	run := func() []Result {
		return ExtensionChecks(roots, []nativemsg.Browser{nativemsg.Edge})(context.Background(), View{Local: true})
	}

	if rs := run(); len(rs) != 0 {
		t.Fatalf("a browser not used here has results: %+v", rs)
	}
	cases := []struct {
		name, entry string
		status      Status
		found, fix  string
	}{
		{"on (Chromium 156)", `{"disable_reasons":[],"location":8,"path":"/x"}`, OK, "installed and on", ""},
		{"off by the user (Chromium 156)", `{"disable_reasons":[1],"location":8}`, Failed, "turned off in this profile", "Open edge://extensions in Microsoft Edge and turn BPClient on."},
		{"off by the user (old bit mask)", `{"disable_reasons":1,"state":0}`, Failed, "turned off in this profile", "turn BPClient on."},
		{"off, old state only", `{"state":0}`, Failed, "turned off", "edge://extensions"},
		{"on, old state", `{"state":1,"disable_reasons":0}`, OK, "installed and on", ""},
		{"new permissions", `{"disable_reasons":[4]}`, Failed, "approve its new permissions", "accept its permissions"},
		{"off by the browser (mask 1024|4096)", `{"disable_reasons":5120}`, Failed, "reason 1024, 4096", "ask your IT department"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			write("Default", "Preferences", chromiumPrefs(c.entry))
			wantResult(t, only(t, run(), "extension.edge.Default"), c.status, c.found, c.fix)
		})
	}

	// Secure Preferences, where the platform keeps extensions there, wins.
	write("Default", "Preferences", `{"extensions":{"settings":{}}}`)
	write("Default", "Secure Preferences", chromiumPrefs(`{"disable_reasons":[1]}`))
	r := only(t, run(), "extension.edge.Default")
	wantResult(t, r, Failed, "turned off", "")
	if r.Where != filepath.Join(data, "Default", "Secure Preferences") {
		t.Errorf("where %q", r.Where)
	}

	// Missing everywhere: every profile warns; present in another: fine.
	write("Default", "Secure Preferences", `{"protection":{"macs":{}}}`)
	write("Profile 1", "Preferences", `{"extensions":{"settings":{}}}`)
	write("Guest Profile", "Preferences", `{}`)
	rs := run()
	if len(rs) != 2 {
		t.Fatalf("want Default and Profile 1, got %+v", rs)
	}
	wantResult(t, only(t, rs, "extension.edge.Default"), Warning, "not installed in this profile", "install the BPClient extension in it")
	wantResult(t, only(t, rs, "extension.edge.Profile 1"), Warning, "not installed", "")
	write("Profile 1", "Preferences", chromiumPrefs(`{"disable_reasons":[]}`))
	rs = run()
	wantResult(t, only(t, rs, "extension.edge.Default"), OK, "another profile of this browser has it", "")
	wantResult(t, only(t, rs, "extension.edge.Profile 1"), OK, "installed and on", "")

	write("Profile 1", "Preferences", `{"extensions":`)
	wantResult(t, only(t, run(), "extension.edge.Profile 1"), Warning, "cannot be read", "Close and reopen Microsoft Edge")
}

// extensions.json and profiles.ini as Firefox ESR writes them.
func TestExtensionChecksFirefoxFormats(t *testing.T) {
	roots, dir := testRoots(t)
	ff := roots.userData(nativemsg.Firefox)
	mustWrite(t, filepath.Join(ff, "profiles.ini"), `[Install3B6073811A6ABF12]
Default=k2x9.default-esr
Locked=1

[Profile1]
Name=work
IsRelative=0
Path=`+filepath.Join(dir, "elsewhere", "w0rk.work")+`

[Profile0]
Name=default-esr
IsRelative=1
Path=k2x9.default-esr
Default=1

[General]
StartWithLastProfile=1
Version=2
`)
	addon := func(active, user, app bool) string {
		b := func(v bool) string {
			if v {
				return "true"
			}
			return "false"
		}
		return `{"schemaVersion":36,"addons":[{"id":"` + nativemsg.AddonID + `","syncGUID":"{0d6e}","version":"0.1.0","type":"extension","active":` + b(active) +
			`,"userDisabled":` + b(user) + `,"appDisabled":` + b(app) + `,"location":"app-profile"}]}`
	}
	run := func() []Result {
		return ExtensionChecks(roots, []nativemsg.Browser{nativemsg.Firefox})(context.Background(), View{Local: true})
	}
	mustWrite(t, filepath.Join(ff, "k2x9.default-esr", "extensions.json"), addon(true, false, false))
	rs := run()
	if len(rs) != 2 {
		t.Fatalf("want two profiles, got %+v", rs)
	}
	wantResult(t, only(t, rs, "extension.firefox.k2x9.default-esr"), OK, "installed and on", "")
	wantResult(t, only(t, rs, "extension.firefox.w0rk.work"), OK, "another profile", "")

	mustWrite(t, filepath.Join(ff, "k2x9.default-esr", "extensions.json"), addon(false, true, false))
	wantResult(t, only(t, run(), "extension.firefox.k2x9.default-esr"), Failed, "turned off in this profile", "Open about:addons in Firefox and turn BPClient on.")
	wantResult(t, only(t, run(), "extension.firefox.w0rk.work"), Warning, "not installed", "")

	mustWrite(t, filepath.Join(ff, "k2x9.default-esr", "extensions.json"), addon(false, false, true))
	wantResult(t, only(t, run(), "extension.firefox.k2x9.default-esr"), Failed, "not signed", "Reinstall the BPClient add-on")

	mustWrite(t, filepath.Join(dir, "elsewhere", "w0rk.work", "extensions.json"), `{"addons": [`)
	wantResult(t, only(t, run(), "extension.firefox.w0rk.work"), Warning, "cannot be read", "")
}
