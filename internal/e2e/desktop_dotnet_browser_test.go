//go:build linux

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/dotnettest"
)

// TestDotNetClientWithDemoPage runs the .NET client against the real
// page: the C# program (dotnet/test/PageTest.cs) under mono is the
// desktop application, and the demo Agent Desktop in headless Chromium
// (bpclient.js attachDesktop, the real extension, host and agent) the
// provider. The C# makeCall reaches the page, the page's answer comes
// back, the call's events the page publishes arrive on the program's
// SynchronizationContext, and a reload of the page is a detached and a
// new attached there.
func TestDotNetClientWithDemoPage(t *testing.T) {
	t.Parallel()
	dotnettest.Need(t)
	d := startDemoDesktop(t)
	f, ctx := d.f, d.f.ctx
	build := dotnettest.BuildLibrary(t, ctx, t.TempDir())
	exe := build.Program(t, ctx, "PageTest.exe", "test/PageTest.cs", "test/TestSupport.cs")

	page := d.open(t)
	lines := dotnettest.Run(t, ctx, nil, func(line string) {
		switch {
		case line == "connected", line == "detached":
			attachDemo(t, ctx, page, "a-9", "Ada Agent", "1009")
		case strings.HasPrefix(line, "call "):
			// The request reached the page, naming the application.
			e, err := browsertest.WaitLog(ctx, page, "desktop", "makeCall", 0, stateTimeout)
			if err != nil {
				t.Fatal(err)
			}
			var req struct {
				Params map[string]string `json:"params"`
				App    struct{ Name string }
			}
			decodeEvent(t, e.Data, &req)
			if req.Params["number"] != "1002" || req.App.Name != "C# page test" {
				t.Fatalf("the page got makeCall %s", e.Data)
			}
			if err := page.Eval(ctx, fmt.Sprintf(`bpDemo.desktop.release(%q)`, strings.TrimPrefix(line, "call ")), nil); err != nil {
				t.Fatal(err)
			}
		case line == "reload":
			if err := page.Navigate(ctx, d.url()); err != nil {
				t.Fatal(err)
			}
			waitState(t, ctx, page, "connected", 0, stateTimeout)
		}
	}, exe, f.env.AgentSocket())
	t.Logf("%s printed:\n%s", filepath.Base(exe), strings.Join(lines, "\n"))
}
