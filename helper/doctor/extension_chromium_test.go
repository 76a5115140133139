package doctor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/nativemsg/extension"
	"github.com/openbpclient/bpclient/version"
)

// The extension check against a real headless Chromium profile: the
// extension loaded is found on; turned off the way a user does it (the
// chrome://extensions page's own chrome.management.setEnabled), the
// check fails with the fix that names that page. Chromium writes its
// Preferences about 10 s after a change, so the check is polled.
func TestExtensionCheckRealChromium(t *testing.T) {
	browsertest.NeedChromium(t)
	root, err := os.MkdirTemp("", "doc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	env, err := browsertest.NewEnv(root)
	if err != nil {
		t.Fatal(err)
	}
	extDir := filepath.Join(root, "ext")
	if err := extension.Build(extDir, extension.Chromium, extension.Options{Version: version.Version}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := browsertest.StartChromium(ctx, browsertest.ChromiumOptions{Env: env, Extensions: []string{extDir}, ExtensionID: nativemsg.ExtensionID})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	vars := map[string]string{"HOME": env.Home, "XDG_CONFIG_HOME": env.ConfigHome}
	roots := Roots{GOOS: "linux", Getenv: func(k string) string { return vars[k] }}
	check := ExtensionChecks(roots, []nativemsg.Browser{nativemsg.Chromium})
	id := "extension.chromium.Default"
	waitFor := func(status Status) Result {
		t.Helper()
		var last []Result
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			last = check(ctx, View{Local: true})
			for _, r := range last {
				if r.ID == id && r.Status == status {
					return r
				}
			}
		}
		t.Fatalf("no %s %s within 60 s; last: %+v", id, status, last)
		return Result{}
	}

	r := waitFor(OK)
	wantResult(t, r, OK, "installed and on", "")
	if r.Where != filepath.Join(env.ChromiumUserDataDir(), "Default", "Preferences") {
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
