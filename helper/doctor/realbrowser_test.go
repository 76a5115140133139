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

// realBrowserUser is an isolated user for the extension checks against a
// real browser: its environment, the extension built for browser, and
// the doctor's roots of that user.
type realBrowserUser struct {
	root, ext string
	env       *browsertest.Env
	roots     Roots
}

func newRealBrowserUser(t *testing.T, browser string) *realBrowserUser {
	t.Helper()
	root, err := os.MkdirTemp("", "doc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	env, err := browsertest.NewEnv(root)
	if err != nil {
		t.Fatal(err)
	}
	ext := filepath.Join(root, "ext")
	if err := extension.Build(ext, browser, extension.Options{Version: version.Version}); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"HOME": env.Home, "XDG_CONFIG_HOME": env.ConfigHome}
	return &realBrowserUser{root: root, ext: ext, env: env, roots: Roots{GOOS: "linux", Getenv: func(k string) string { return vars[k] }}}
}

// waitForCheck runs the browser's extension checks until check id has
// status: browsers write their profile's files a while after a change.
func (u *realBrowserUser) waitForCheck(t *testing.T, ctx context.Context, browser nativemsg.Browser, id string, status Status) Result {
	t.Helper()
	check := ExtensionChecks(u.roots, []nativemsg.Browser{browser})
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
