package doctor

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/nativemsg/extension"
)

// The extension check against a real headless Chromium profile: the
// extension loaded is found on; turned off the way a user does it (the
// chrome://extensions page's own chrome.management.setEnabled), the
// check fails with the fix that names that page. Chromium writes its
// Preferences about 10 s after a change, so the check is polled.
func TestExtensionCheckRealChromium(t *testing.T) {
	browsertest.NeedChromium(t)
	u := newRealBrowserUser(t, extension.Chromium)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := browsertest.StartChromium(ctx, browsertest.ChromiumOptions{Env: u.env, Extensions: []string{u.ext}, ExtensionID: nativemsg.ExtensionID})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := "extension.chromium.Default"
	waitFor := func(status Status) Result { return u.waitForCheck(t, ctx, nativemsg.Chromium, id, status) }

	r := waitFor(OK)
	wantResult(t, r, OK, "installed and on", "")
	if r.Where != filepath.Join(u.env.ChromiumUserDataDir(), "Default", "Preferences") {
		t.Errorf("where %q", r.Where)
	}

	p, err := c.NewPage(ctx, "chrome://extensions")
	if err != nil {
		t.Fatal(err)
	}
	var done bool
	if err := p.Eval(ctx, `chrome.management.setEnabled("`+nativemsg.ExtensionID+`", false).then(() => true)`, &done); err != nil || !done {
		t.Fatalf("disable the extension: %v", err)
	}
	r = waitFor(Failed)
	wantResult(t, r, Failed, "turned off in this profile", "Open chrome://extensions in Chromium and turn BPClient on.")
}
