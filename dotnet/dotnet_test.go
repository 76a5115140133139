//go:build linux

// Package dotnet holds the desktop API's .NET client (BPClient.Desktop,
// C#); this test builds it with Debian's mono compiler and runs its test
// program against the real agent.
package dotnet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/dotnettest"
	"github.com/openbpclient/bpclient/internal/fakedesktop"
)

// TestDotNetClientAgainstTheRealAgent compiles BPClient.Desktop.dll, the
// sample and the test program, and runs the test program under mono: it
// waits for the fake Agent Desktop to attach, makes a call and pauses and
// resumes recording (the page's answers), gets call.initiated and
// call.released in order on its dispatcher thread, reconnects after the
// agent restarts, and sees desktop.detached when the page goes. It does
// so over the Unix socket, and over the client's named-pipe branch.
func TestDotNetClientAgainstTheRealAgent(t *testing.T) {
	dotnettest.Need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out := t.TempDir()
	build := dotnettest.BuildLibrary(t, ctx, out)
	build.Program(t, ctx, "Sample.exe", "sample/Sample.cs")
	test := build.Program(t, ctx, "DesktopTest.exe", "test/DesktopTest.cs", "test/TestSupport.cs")
	bins, err := browsertest.BuildBinaries(ctx, filepath.Join(out, "bin"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("unix socket", func(t *testing.T) {
		runDesktopTest(t, ctx, bins, test, func(env *browsertest.Env) (string, []string) {
			return env.AgentSocket(), nil
		})
	})
	// On Windows the client reaches the agent by NamedPipeClientStream.
	// Debian's mono implements that class as .NET does on Unix (corefx):
	// pipe NAME is the Unix socket $TMPDIR/CoreFxPipe_NAME. Pointing that
	// at the agent's socket runs the client's pipe branch (the pipe
	// stream, its connect timeout, framing and reconnects over it) against
	// the real agent. Not shown here: Windows' own pipe (its ACL, the
	// name from the user's SID, Win32 pipe semantics); the agent's side
	// of that is tested under wine (scripts/test-release.sh: helper/ipc).
	t.Run("named pipe", func(t *testing.T) {
		runDesktopTest(t, ctx, bins, test, func(env *browsertest.Env) (string, []string) {
			tmp := filepath.Join(env.Root, "tmp")
			if err := os.Mkdir(tmp, 0o700); err != nil {
				t.Fatal(err)
			}
			const name = "bpclient-dotnet-test"
			if err := os.Symlink(env.AgentSocket(), filepath.Join(tmp, "CoreFxPipe_"+name)); err != nil {
				t.Fatal(err)
			}
			return `\\.\pipe\` + name, append(os.Environ(), "TMPDIR="+tmp)
		})
	})
}

// runDesktopTest runs DesktopTest.exe against a new agent and fake page;
// address says where the program finds the agent, and in which
// environment (nil: this process's) it runs.
func runDesktopTest(t *testing.T, ctx context.Context, bins *browsertest.Binaries, test string, address func(*browsertest.Env) (string, []string)) {
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

	addr, monoEnv := address(env)
	lines := dotnettest.Run(t, ctx, monoEnv, func(line string) {
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
		}
	}, test, addr)
	t.Logf("the C# test program printed:\n%s", strings.Join(lines, "\n"))
}
