package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg"
)

const origin = "chrome-extension://ohcdnckkmmffiobblhcjgmealjgpgeen/"

// The relay must stay small: it may not link the softphone, audio or the
// screen features (doc.go says what it links).
func TestHostLinksNoSIPOrAudio(t *testing.T) {
	// Listed as a pure-Go build: the host must build without cgo.
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/openbpclient/bpclient/"
	banned := []string{mod + "sip", mod + "audio", mod + "screen", mod + "helper/agent", "github.com/gordonklaus/portaudio", "github.com/emiago/sipgo", "runtime/cgo"}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list gave %d packages; the check would be empty", len(deps))
	}
	for _, dep := range deps {
		for _, b := range banned {
			if dep == b || strings.HasPrefix(dep, b+"/") {
				t.Errorf("bpclient-host depends on %s", dep)
			}
		}
	}
}

type world struct {
	env  *browsertest.Env
	bins *browsertest.Binaries
}

func newWorld(t testing.TB) *world {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("process tests use unix sockets and signals")
	}
	root, err := os.MkdirTemp("", "bph")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	env, err := browsertest.NewEnv(filepath.Join(root, "e"))
	if err != nil {
		t.Fatal(err)
	}
	bins, err := browsertest.BuildBinaries(context.Background(), filepath.Join(root, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{env: env, bins: bins}
	t.Cleanup(func() { w.stopAgent(t) })
	return w
}

func (w *world) stopAgent(t testing.TB) {
	cmd := exec.Command(w.bins.CLI, "stop")
	cmd.Env = w.env.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("bpclient stop: %v %s", err, out)
	}
}

// host is one bpclient-host process driven like a browser drives it.
type host struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *nativemsg.Reader
	t     testing.TB
}

func (w *world) startHost(t testing.TB, bin string, args ...string) *host {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = w.env.Environ()
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &host{cmd: cmd, stdin: stdin, out: nativemsg.NewReader(stdout), t: t}
}

func (h *host) send(msg string) {
	h.t.Helper()
	if err := nativemsg.WriteFrame(h.stdin, []byte(msg)); err != nil {
		h.t.Fatal(err)
	}
}

// answer reads frames until the answer to id, skipping events.
func (h *host) answer(id string) *jsonrpc.Message {
	h.t.Helper()
	got := make(chan *jsonrpc.Message, 1)
	go func() {
		for {
			p, err := h.out.ReadFrame()
			if err != nil {
				close(got)
				return
			}
			m, _, _ := jsonrpc.Decode(p)
			if m != nil && m.Method == "" && string(m.ID) == id {
				got <- m
				return
			}
		}
	}()
	select {
	case m, ok := <-got:
		if !ok {
			h.t.Fatalf("host output ended before the answer to %s", id)
		}
		return m
	case <-time.After(10 * time.Second):
		h.t.Fatalf("hang guard (10 s): no answer to %s", id)
	}
	return nil
}

// closeAndWait closes the host's stdin and waits for it to exit: how long
// that takes is BenchmarkHostColdStartToHello's to measure; the 30 s here
// only catch a host that never exits.
func (h *host) closeAndWait() (time.Duration, int) {
	start := time.Now()
	h.stdin.Close()
	exited := make(chan struct{})
	go func() { h.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		h.cmd.Process.Kill()
		<-exited
		h.t.Fatal("hang guard (30 s): the host did not exit after stdin EOF")
	}
	return time.Since(start), h.cmd.ProcessState.ExitCode()
}

func TestHostStartsAgentWhichOutlivesIt(t *testing.T) {
	w := newWorld(t)
	h := w.startHost(t, w.bins.Host, origin)
	h.send(`{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{"client":"t"}}`)
	if m := h.answer("1"); m.Error != nil {
		t.Fatalf("hello: %+v", m.Error)
	}
	h.send(`{"jsonrpc":"2.0","id":2,"method":"helper.status"}`)
	var st struct {
		PID     int
		Clients []struct{ Kind, Browser string }
	}
	json.Unmarshal(h.answer("2").Result, &st)
	if len(st.Clients) != 1 || st.Clients[0].Kind != "extension" || st.Clients[0].Browser != "chromium" {
		t.Fatalf("status %+v", st)
	}
	took, code := h.closeAndWait()
	t.Logf("host exited %v after stdin EOF", took)
	if code != 0 {
		t.Fatalf("host exit code %d after stdin EOF, want 0", code)
	}
	// The agent the host started is still there for the next port.
	if !processAlive(st.PID) {
		t.Fatalf("agent %d gone with the host", st.PID)
	}
	h2 := w.startHost(t, w.bins.Host, origin)
	h2.send(`{"jsonrpc":"2.0","id":3,"method":"helper.hello"}`)
	h2.send(`{"jsonrpc":"2.0","id":4,"method":"helper.status"}`)
	h2.answer("3")
	var st2 struct{ PID int }
	json.Unmarshal(h2.answer("4").Result, &st2)
	if st2.PID != st.PID {
		t.Fatalf("second port reached agent %d, want %d", st2.PID, st.PID)
	}
	// A second agent refuses to start, with its own exit code.
	cmd := exec.Command(w.bins.CLI, "agent")
	cmd.Env = w.env.Environ()
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 3 || !strings.Contains(string(out), "already running") {
		t.Fatalf("second agent: exit %d, %s", cmd.ProcessState.ExitCode(), out)
	}
	// SIGTERM stops the agent cleanly and removes its socket.
	terminate(st.PID)
	deadline := time.Now().Add(30 * time.Second)
	for processAlive(st.PID) {
		if time.Now().After(deadline) {
			t.Fatal("hang guard (30 s): the agent did not stop after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(w.env.AgentSocket()); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
	log, _ := os.ReadFile(w.env.LogFile())
	for _, want := range []string{`"proc":"host"`, `"proc":"agent"`, "relay identified", "agent stopped"} {
		if !bytes.Contains(log, []byte(want)) {
			t.Errorf("BPClient.log lacks %s", want)
		}
	}
}

func TestHostWithoutAgentAnswersUnavailable(t *testing.T) {
	w := newWorld(t)
	// A host installed alone: there is no bpclient beside it to start.
	lonely := filepath.Join(w.env.Root, "lonely", "bpclient-host")
	os.MkdirAll(filepath.Dir(lonely), 0o755)
	data, _ := os.ReadFile(w.bins.Host)
	os.WriteFile(lonely, data, 0o755)
	h := w.startHost(t, lonely, origin)
	h.send(`{"jsonrpc":"2.0","id":1,"method":"helper.hello"}`)
	m := h.answer("1")
	if m.Error == nil || m.Error.Code != jsonrpc.CodeUnavailable {
		t.Fatalf("answer %+v, want -32004", m)
	}
	h.send(`{"jsonrpc":"2.0","id":2,"method":"helper.status"}`)
	if m := h.answer("2"); m.Error == nil || m.Error.Code != jsonrpc.CodeUnavailable {
		t.Fatalf("second answer %+v, want -32004 again", m)
	}
	if _, code := h.closeAndWait(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

// A page the policy refuses cannot start the agent: with none running, the
// host answers the refusal itself (the agent's -32001 and reason) and
// starts nothing; an allowed page's hello then starts the agent.
func TestHostRefusedPageStartsNoAgent(t *testing.T) {
	w := newWorld(t)
	if err := browsertest.WriteUserPolicy(w.env, "agent.example.test"); err != nil {
		t.Fatal(err)
	}
	h := w.startHost(t, w.bins.Host, origin)
	h.send(`{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{"pageOrigin":"https://evil.test","minHelperVersion":"99.0.0"}}`)
	m := h.answer("1")
	if d, _ := m.Error.Data.(map[string]any); m.Error == nil || m.Error.Code != jsonrpc.CodeNotAllowed || d["reason"] != "origin-not-allowed" || d["canAsk"] != true {
		t.Fatalf("refused hello: %+v, want -32001 origin-not-allowed canAsk", m.Error)
	}
	if _, err := os.Stat(w.env.AgentSocket()); !os.IsNotExist(err) {
		t.Errorf("an agent was started for a refused page (socket: %v)", err)
	}
	if log, _ := os.ReadFile(w.env.LogFile()); bytes.Contains(log, []byte(`"proc":"agent"`)) {
		t.Errorf("an agent ran for a refused page: %s", log)
	}
	if _, code := h.closeAndWait(); code != 0 {
		t.Fatalf("exit code %d", code)
	}

	ok := w.startHost(t, w.bins.Host, origin)
	ok.send(`{"jsonrpc":"2.0","id":2,"method":"helper.hello","params":{"pageOrigin":"https://agent.example.test"}}`)
	if m := ok.answer("2"); m.Error != nil || !bytes.Contains(m.Result, []byte(`"helperVersion"`)) {
		t.Fatalf("allowed hello: %+v %s", m.Error, m.Result)
	}
}

func TestHostRefusesOversizedFrame(t *testing.T) {
	w := newWorld(t)
	h := w.startHost(t, w.bins.Host, origin)
	h.send(`{"jsonrpc":"2.0","id":1,"method":"helper.hello"}`)
	h.answer("1")
	var hdr [4]byte
	binary.NativeEndian.PutUint32(hdr[:], nativemsg.MaxFrame+1)
	h.stdin.Write(hdr[:])
	m := h.answer("") // an error with a null id
	if m.Error == nil || m.Error.Code != jsonrpc.CodeInvalidRequest {
		t.Fatalf("answer %+v, want -32600", m)
	}
	done := make(chan struct{})
	go func() { h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("host still running after an oversized frame")
	}
}

func TestHostNeedsBrowserArguments(t *testing.T) {
	w := newWorld(t)
	cmd := exec.Command(w.bins.Host)
	cmd.Env = w.env.Environ()
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "started by the browser") {
		t.Fatalf("exit %d: %s", cmd.ProcessState.ExitCode(), out)
	}
}
