package ipc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const nobody = 65534

// The test binary doubles as an impostor run as another user.
func TestMain(m *testing.M) {
	if addr := os.Getenv("BPCLIENT_IPC_IMPOSTOR"); addr != "" {
		os.Exit(impostor(addr, os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// impostor listens at addr, as an attacker who got there first would, and
// reports every connection with the bytes it was sent ("conn N") until
// stdin closes ("done").
func impostor(addr string, stdin io.Reader, stdout io.Writer) int {
	if os.Getenv("BPCLIENT_IPC_IMPOSTOR_MKDIR") != "" {
		if err := os.MkdirAll(filepath.Dir(addr), 0o700); err != nil {
			fmt.Fprintln(stdout, "error", err)
			return 1
		}
	}
	ln, err := net.Listen("unix", addr)
	if err != nil {
		fmt.Fprintln(stdout, "error", err)
		return 1
	}
	var out sync.Mutex
	say := func(f string, a ...any) { out.Lock(); fmt.Fprintf(stdout, f+"\n", a...); out.Unlock() }
	say("listening")
	var served sync.WaitGroup
	served.Add(1)
	go func() {
		defer served.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetReadDeadline(time.Now().Add(30 * time.Second)) // hang guard
			n, _ := io.Copy(io.Discard, c)
			c.Close()
			say("conn %d", n)
		}
	}()
	io.Copy(io.Discard, stdin)
	ln.Close()
	served.Wait()
	say("done")
	return 0
}

// asNobody prepares the test binary in dir (which it opens to everyone)
// and returns a command running it as uid 65534 with env added.
func asNobody(t *testing.T, dir string, env ...string) *exec.Cmd {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root to run a process as another user")
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "ipc.test")
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run", "^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	return cmd
}

// runningImpostor is an impostor process and the lines it reports.
type runningImpostor struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

func startImpostor(t *testing.T, dir, addr string, env ...string) *runningImpostor {
	t.Helper()
	cmd := asNobody(t, dir, append(env, "BPCLIENT_IPC_IMPOSTOR="+addr)...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	imp := &runningImpostor{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	go func() {
		defer close(imp.lines)
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			imp.lines <- s.Text()
		}
	}()
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	if l := imp.next(t); l != "listening" {
		t.Fatalf("impostor: %s", l)
	}
	return imp
}

// next is the impostor's next line, within the 30 s hang guard.
func (imp *runningImpostor) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-imp.lines:
		if !ok {
			t.Fatal("impostor ended without a report")
		}
		return l
	case <-time.After(30 * time.Second):
		t.Fatal("hang guard (30 s): no report from the impostor")
	}
	return ""
}

// finish ends the impostor and returns what it still had to say.
func (imp *runningImpostor) finish(t *testing.T) []string {
	t.Helper()
	imp.stdin.Close()
	var rest []string
	for l := imp.next(t); l != "done"; l = imp.next(t) {
		rest = append(rest, l)
	}
	return rest
}

// dialAsVictim dials addr as a client would and, if that succeeds,
// writes what a host writes first; it returns Dial's error.
func dialAsVictim(t *testing.T, addr string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr)
	if err != nil {
		return err
	}
	c.Write([]byte(`{"method":"phone.configure","params":{"password":"secret"}}`))
	c.Close()
	t.Error("Dial connected to an impostor and the client wrote to it")
	return nil
}

// An impostor of another uid serves the socket in our own private folder
// (it got there in a race, and the socket file was then made to look
// ours): the kernel's peer credentials still give it away, and Dial hangs
// up before writing a byte.
func TestDialRefusesServerOfAnotherUser(t *testing.T) {
	dir, err := os.MkdirTemp("", "ipcimp")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	run := filepath.Join(dir, "run")
	os.Mkdir(run, 0o777)
	os.Chmod(run, 0o777)
	addr := filepath.Join(run, "agent.sock")
	imp := startImpostor(t, dir, addr)
	if err := os.Lchown(addr, 0, 0); err != nil {
		t.Fatal(err)
	}
	os.Chmod(run, 0o700)

	err = dialAsVictim(t, addr)
	want := addr + " is served by uid 65534, not by you (uid 0): another user may be posing as the agent; not connecting"
	if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Dial: %v\nwant ErrNotOurs saying %q", err, want)
	}
	if l := imp.next(t); l != "conn 0" {
		t.Errorf("impostor reports %q, want a connection that received 0 bytes", l)
	}
	if rest := imp.finish(t); len(rest) != 0 {
		t.Errorf("impostor also saw %q", rest)
	}
}

// An impostor of another uid made the socket's folder first and serves
// there: the client refuses without connecting, and the agent refuses to
// listen there, both saying whose folder it is.
func TestFolderOfAnotherUserIsRefused(t *testing.T) {
	dir, err := os.MkdirTemp("", "ipcimp")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	addr := filepath.Join(dir, "run", "agent.sock")
	imp := startImpostor(t, dir, addr, "BPCLIENT_IPC_IMPOSTOR_MKDIR=1")

	err = dialAsVictim(t, addr)
	want := filepath.Dir(addr) + " belongs to uid 65534, not to you (uid 0): another user may be posing as the agent; not connecting"
	if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Dial: %v\nwant ErrNotOurs saying %q", err, want)
	}
	ln, err := Listen(addr)
	if err == nil {
		ln.Close()
		t.Fatal("Listen served from a folder of another user")
	}
	if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), "belongs to uid 65534") {
		t.Errorf("Listen: %v, want ErrNotOurs naming the owner", err)
	}
	if rest := imp.finish(t); len(rest) != 0 {
		t.Errorf("impostor saw %q, want nothing", rest)
	}
}

// A process of another user that gets past the file modes (here we open
// them up on purpose) is still hung up on, by the peer-uid check.
func TestOtherUserIsHungUpOn(t *testing.T) {
	if addr := os.Getenv("BPCLIENT_IPC_DIAL"); addr != "" {
		// Child mode: running as another user. Its own Dial would refuse
		// our folder, so it connects as an attacker would, unchecked.
		c, err := net.Dial("unix", addr)
		if err != nil {
			os.Exit(3)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == io.EOF {
			os.Exit(0) // hung up on, as wanted
		}
		os.Exit(4)
	}
	dir, err := os.MkdirTemp("", "ipcuid")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	addr := filepath.Join(dir, "run", "agent.sock")
	ln, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cmd := asNobody(t, dir, "BPCLIENT_IPC_DIAL="+addr)
	cmd.Args = []string{cmd.Path, "-test.run", "^TestOtherUserIsHungUpOn$"}
	os.Chmod(filepath.Dir(addr), 0o777)
	os.Chmod(addr, 0o666)
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("child as uid 65534: exit %d (3: could not dial, 4: not hung up on): %v %s", code, err, out)
	}
	select {
	case <-accepted:
		t.Fatal("the listener handed another user's connection to the agent")
	case <-time.After(100 * time.Millisecond):
	}
}
