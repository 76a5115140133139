//go:build linux

// Package dotnet holds the desktop API's .NET client (BPClient.Desktop,
// C#); this test builds it with Debian's mono compiler and runs its test
// program against the real agent.
package dotnet

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/fakedesktop"
	"github.com/openbpclient/bpclient/internal/testpeers"
)

// mcs compiles args into out, with the XML documentation where asked.
func mcs(t *testing.T, ctx context.Context, args ...string) {
	t.Helper()
	out, err := exec.CommandContext(ctx, "mcs", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("mcs %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if strings.Contains(string(out), "warning") {
		t.Errorf("mcs %s warns:\n%s", strings.Join(args, " "), out)
	}
}

// TestDotNetClientAgainstTheRealAgent compiles BPClient.Desktop.dll, the
// sample and the test program, and runs the test program under mono: it
// waits for the fake Agent Desktop to attach, makes a call and pauses and
// resumes recording (the page's answers), gets call.initiated and
// call.released in order on its dispatcher thread, reconnects after the
// agent restarts, and sees desktop.detached when the page goes.
func TestDotNetClientAgainstTheRealAgent(t *testing.T) {
	for _, tool := range []string{"mcs", "mono"} {
		if _, err := exec.LookPath(tool); err != nil {
			testpeers.Missing(t, tool+" is not installed (scripts/deps.sh installs mono-mcs)")
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out := t.TempDir()
	lib := filepath.Join(out, "BPClient.Desktop.dll")
	sources, _ := filepath.Glob("BPClient.Desktop/*.cs")
	mcs(t, ctx, append([]string{"-target:library", "-out:" + lib, "-doc:" + filepath.Join(out, "BPClient.Desktop.xml")}, sources...)...)
	mcs(t, ctx, "-out:"+filepath.Join(out, "Sample.exe"), "-r:"+lib, "sample/Sample.cs")
	mcs(t, ctx, "-out:"+filepath.Join(out, "DesktopTest.exe"), "-r:"+lib, "test/DesktopTest.cs")

	bins, err := browsertest.BuildBinaries(ctx, filepath.Join(out, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	// A short root: the agent's socket path must fit in 108 bytes.
	root, err := os.MkdirTemp("", "dn")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(root)
	env, err := browsertest.NewEnv(root)
	if err != nil {
		t.Fatal(err)
	}
	agent, err := browsertest.StartAgent(ctx, bins, env)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { agent.Stop() }()
	page, err := fakedesktop.Attach(ctx, env.AgentSocket(), "n-1")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { page.Close() }()

	cmd := exec.CommandContext(ctx, "mono", filepath.Join(out, "DesktopTest.exe"), env.AgentSocket())
	cmd.Dir = out
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	passed := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		switch line {
		case "restart":
			page.Close()
			if err := agent.Stop(); err != nil {
				t.Fatal(err)
			}
			if agent, err = browsertest.StartAgent(ctx, bins, env); err != nil {
				t.Fatal(err)
			}
			if page, err = fakedesktop.Attach(ctx, env.AgentSocket(), "n-2"); err != nil {
				t.Fatal(err)
			}
		case "detach":
			page.Close()
		case "PASS":
			passed = true
		}
	}
	err = cmd.Wait()
	if err != nil || !passed {
		t.Fatalf("the C# test program: %v; it printed:\n%s", err, strings.Join(lines, "\n"))
	}
	t.Logf("the C# test program printed:\n%s", strings.Join(lines, "\n"))
}
