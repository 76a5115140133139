package doctor

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/nativemsg/extension"
)

// The extension check against a real headless Firefox ESR profile, from
// the extensions.json Firefox writes itself: the built add-on (an XPI
// in the profile's extensions folder, which Firefox installs at start;
// Marionette's temporary add-ons are never written there) is found on;
// turned off as about:addons does (AddonManager's disable), the check
// fails with the fix that names about:addons.
func TestExtensionCheckRealFirefox(t *testing.T) {
	browsertest.NeedFirefox(t)
	u := newRealBrowserUser(t, extension.Firefox)
	const profileName = "t3st0001.default-release"
	profiles := filepath.Join(u.env.Home, ".mozilla", "firefox")
	profile := filepath.Join(profiles, profileName)
	if err := os.MkdirAll(profile, 0o700); err != nil {
		t.Fatal(err)
	}
	ini := "[Profile0]\nName=default-release\nIsRelative=1\nPath=" + profileName + "\nDefault=1\n"
	if err := os.WriteFile(filepath.Join(profiles, "profiles.ini"), []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := browsertest.SideloadXPI(u.ext, profile, extension.GeckoID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f, err := browsertest.StartFirefox(ctx, browsertest.FirefoxOptions{Env: u.env, Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id := "extension.firefox." + profileName
	waitFor := func(status Status) Result { return u.waitForCheck(t, ctx, nativemsg.Firefox, id, status) }

	r := waitFor(OK)
	wantResult(t, r, OK, "installed and on", "")
	if r.Where != filepath.Join(profile, "extensions.json") {
		t.Errorf("where %q", r.Where)
	}

	raw, err := f.ChromeEval(ctx, `const [id, done] = arguments;
const {AddonManager} = ChromeUtils.importESModule("resource://gre/modules/AddonManager.sys.mjs");
AddonManager.getAddonByID(id).then((a) => a ? a.disable().then(() => true) : false).then(done, (e) => done(String(e)));`, extension.GeckoID)
	var disabled any
	if err != nil || json.Unmarshal(raw, &disabled) != nil || disabled != true {
		t.Fatalf("disable the add-on: %s %v", raw, err)
	}
	r = waitFor(Failed)
	wantResult(t, r, Failed, "turned off in this profile", "Open about:addons in Firefox and turn BPClient on.")
}
