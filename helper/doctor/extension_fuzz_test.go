package doctor

import (
	"bytes"
	"testing"

	"github.com/openbpclient/bpclient/nativemsg"
)

// FuzzChromiumPreferences: any Preferences parses or errors; a state
// that is disabled always says why or comes from "state": 0, and an
// extension not under settings is never installed.
func FuzzChromiumPreferences(f *testing.F) {
	for _, s := range []string{
		chromiumPrefs(`{"disable_reasons":[1]}`), chromiumPrefs(`{"disable_reasons":5120}`),
		chromiumPrefs(`{"state":0}`), chromiumPrefs(`{"disable_reasons":"x"}`), chromiumPrefs(`[]`),
		`{"extensions":{"settings":null}}`, `{}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := chromiumExtension(data, nativemsg.ExtensionID)
		if err != nil {
			return
		}
		if !st.installed && (st.disabled || len(st.reasons) > 0) {
			t.Fatalf("not installed but disabled: %+v", st)
		}
		if len(st.reasons) > 0 && !st.disabled {
			t.Fatalf("reasons without disabled: %+v", st)
		}
		// JSON may escape the id's letters, so only a file without
		// any escape can be held to naming it.
		if st.installed && !bytes.Contains(data, []byte(nativemsg.ExtensionID)) && !bytes.Contains(data, []byte(`\`)) {
			t.Fatalf("installed without naming the id: %q", data)
		}
	})
}

// FuzzFirefoxFiles: profiles.ini of any shape gives profiles with paths;
// extensions.json parses or errors.
func FuzzFirefoxFiles(f *testing.F) {
	f.Add([]byte("[Profile0]\nName=a\nIsRelative=1\nPath=x.default\n[General]\nVersion=2\n"), []byte(`{"addons":[{"id":"bpclient@openbpclient.org","active":true}]}`))
	f.Add([]byte("[Profile9]\nPath=\n[Profile1]\nIsRelative=0\nPath=/p\n"), []byte(`{"addons":null}`))
	f.Fuzz(func(t *testing.T, ini, ext []byte) {
		for _, p := range parseProfilesINI(ini) {
			if p.path == "" {
				t.Fatalf("profile without a path: %+v", p)
			}
		}
		st, err := firefoxAddon(ext, nativemsg.AddonID)
		if err == nil && !st.installed && (st.active || st.userDisabled || st.appDisabled) {
			t.Fatalf("flags without the add-on: %+v", st)
		}
	})
}
