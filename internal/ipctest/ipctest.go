//go:build !windows

// Package ipctest plays another local user who poses as the agent: it
// listens at a socket path, as someone who got there first would, and
// reports what the victim's clients sent it. Tests run as root, so the
// impostor runs as uid 65534 (nobody); the test binary itself serves as
// the impostor's program (call Main from TestMain).
package ipctest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Nobody is the other user's uid (and gid).
const Nobody = 65534

const (
	envAddr  = "BPCLIENT_IPCTEST_IMPOSTOR"
	envMkdir = "BPCLIENT_IPCTEST_IMPOSTOR_MKDIR"
)

// Main runs the impostor and exits when this process was started as one;
// otherwise it returns at once. Call it first in TestMain.
func Main() {
	if addr := os.Getenv(envAddr); addr != "" {
		os.Exit(serve(addr, os.Getenv(envMkdir) != "", os.Stdin, os.Stdout))
	}
}

// serve listens at addr and reports "conn" for each connection, "got
// <bytes>" for what it reads, until stdin closes ("done").
func serve(addr string, mkdir bool, stdin io.Reader, stdout io.Writer) int {
	if mkdir {
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
			say("conn")
			served.Add(1)
			go func() {
				defer served.Done()
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					c.SetReadDeadline(time.Now().Add(30 * time.Second)) // hang guard
					n, err := c.Read(buf)
					if n > 0 {
						say("got %q", buf[:n])
					}
					if err != nil {
						say("closed")
						return
					}
				}
			}()
		}
	}()
	io.Copy(io.Discard, stdin)
	ln.Close()
	served.Wait()
	say("done")
	return 0
}

// AsNobody copies the test binary into dir (which it opens to everyone,
// so that uid 65534 reaches the copy) and returns a command running it
// as that user with env added to this process's environment.
func AsNobody(t testing.TB, dir string, env ...string) *exec.Cmd {
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
	exe := filepath.Join(dir, filepath.Base(self))
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run", "^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: Nobody, Gid: Nobody}}
	return cmd
}

// Impostor is a running impostor process and the lines it reports.
type Impostor struct {
	t     testing.TB
	stdin io.WriteCloser
	lines chan string
}

// Start runs an impostor as uid 65534 listening at addr; the test binary
// is copied into dir for it. With mkdir it makes addr's folder itself
// (so the folder is the other user's). It returns once the impostor
// listens; the test's cleanup ends it.
func Start(t testing.TB, dir, addr string, mkdir bool) *Impostor {
	t.Helper()
	env := []string{envAddr + "=" + addr}
	if mkdir {
		env = append(env, envMkdir+"=1")
	}
	cmd := AsNobody(t, dir, env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	imp := &Impostor{t: t, stdin: stdin, lines: make(chan string, 64)}
	go func() {
		defer close(imp.lines)
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			imp.lines <- s.Text()
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() { // what reached the impostor explains most failures
			for l := range imp.lines {
				t.Logf("impostor: %s", l)
			}
		}
	})
	if l := imp.Next(); l != "listening" {
		t.Fatalf("impostor: %s", l)
	}
	return imp
}

// Next is the impostor's next report ("conn", "got …", "closed"), within
// the 30 s hang guard.
func (imp *Impostor) Next() string {
	imp.t.Helper()
	select {
	case l, ok := <-imp.lines:
		if !ok {
			imp.t.Fatal("impostor ended without a report")
		}
		return l
	case <-time.After(30 * time.Second):
		imp.t.Fatal("hang guard (30 s): no report from the impostor")
	}
	return ""
}

// Finish ends the impostor and returns the reports it had not given yet.
func (imp *Impostor) Finish() []string {
	imp.t.Helper()
	imp.stdin.Close()
	var rest []string
	for l := imp.Next(); l != "done"; l = imp.Next() {
		rest = append(rest, l)
	}
	return rest
}
