//go:build !windows

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/internal/ipctest"
)

// The test binary doubles as an impostor run as another user.
func TestMain(m *testing.M) {
	ipctest.Main()
	os.Exit(m.Run())
}

// sharedTemp is a folder every user may write to, as /tmp is; each test
// has its own so that no two runs meet in the real /tmp.
func sharedTemp(t *testing.T) string {
	dir, err := os.MkdirTemp("", "bpt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// bpclient runs the CLI in the world's environment.
func (w *world) bpclient(args ...string) (string, int) {
	cmd := exec.Command(w.bins.CLI, args...)
	cmd.Env = w.env.Environ()
	out, _ := cmd.CombinedOutput()
	return string(out), cmd.ProcessState.ExitCode()
}

// With no XDG_RUNTIME_DIR, another user who made the old fallback
// ($TMPDIR/bpclient-<uid>/agent.sock) first and serves there receives
// nothing: the host and the CLI use a folder in the user's home, and the
// real agent starts there and serves.
func TestHostIgnoresImpostorAtOldFallback(t *testing.T) {
	w := newWorld(t)
	shared := sharedTemp(t)
	old := filepath.Join(shared, "bpclient-"+strconv.Itoa(os.Getuid()), "agent.sock")
	imp := ipctest.Start(t, shared, old, true)
	w.env.Extra = append(w.env.Extra, "XDG_RUNTIME_DIR=", "TMPDIR="+shared)

	h := w.startHost(t, w.bins.Host, origin)
	h.send(`{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{"client":"t"}}`)
	if m := h.answer("1"); m.Error != nil {
		t.Fatalf("hello: %+v", m.Error)
	}
	sock := filepath.Join(w.env.CacheHome, "bpclient", "run", "agent.sock")
	if fi, err := os.Lstat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("the agent's socket at %s: %v", sock, err)
	}
	if out, code := w.bpclient("status"); code != 0 || !strings.Contains(out, "agent: running") || !strings.Contains(out, sock) {
		t.Errorf("bpclient status: exit %d\n%s", code, out)
	}
	h.closeAndWait()
	w.stopAgent(t)
	if rest := imp.Finish(); len(rest) != 0 {
		t.Fatalf("the impostor received %q, want nothing", rest)
	}
}

// Another user made the socket's folder itself (here under a shared
// XDG_RUNTIME_DIR) and serves there: the host sends it nothing, tells the
// page only that the helper is unavailable (the why, with its path and
// uids, goes to BPClient.log), the CLI refuses, and the agent will not
// listen there.
func TestHostRefusesImpostorInFolderOfAnotherUser(t *testing.T) {
	w := newWorld(t)
	shared := sharedTemp(t)
	addr := filepath.Join(shared, "bpclient", "agent.sock")
	imp := ipctest.Start(t, shared, addr, true)
	w.env.Extra = append(w.env.Extra, "XDG_RUNTIME_DIR="+shared)
	const why = "belongs to uid 65534, not to you (uid 0): another user may be posing as the agent"

	h := w.startHost(t, w.bins.Host, origin)
	h.send(`{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{"client":"t"}}`)
	m := h.answer("1")
	if m.Error == nil || m.Error.Code != jsonrpc.CodeUnavailable || !strings.Contains(fmt.Sprint(m.Error.Data), "agent-unavailable") ||
		strings.Contains(fmt.Sprint(m.Error.Data), "uid") {
		t.Fatalf("hello answered %+v, want -32004 agent-unavailable, naming no uid", m)
	}
	h.closeAndWait()
	if log, _ := os.ReadFile(w.env.LogFile()); !strings.Contains(string(log), why) {
		t.Errorf("BPClient.log does not say %q:\n%s", why, log)
	}
	for _, args := range [][]string{{"status"}, {"stop"}, {"agent"}} {
		out, code := w.bpclient(args...)
		t.Logf("bpclient %s: exit %d: %s", args[0], code, strings.TrimSpace(out))
		if !strings.Contains(out, why) || (args[0] != "status" && code == 0) {
			t.Errorf("bpclient %s: exit %d, want a refusal saying %q:\n%s", args[0], code, why, out)
		}
	}
	if rest := imp.Finish(); len(rest) != 0 {
		t.Fatalf("the impostor received %q, want nothing", rest)
	}
}
