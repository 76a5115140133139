package ipc

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/ipctest"
)

// The test binary doubles as an impostor run as another user.
func TestMain(m *testing.M) {
	ipctest.Main()
	os.Exit(m.Run())
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
	imp := ipctest.Start(t, dir, addr, false)
	if err := os.Lchown(addr, 0, 0); err != nil {
		t.Fatal(err)
	}
	os.Chmod(run, 0o700)

	err = dialAsVictim(t, addr)
	want := addr + " is served by uid 65534, not by you (uid 0): another user may be posing as the agent; not connecting"
	if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Dial: %v\nwant ErrNotOurs saying %q", err, want)
	}
	if l := imp.Next(); l != "conn" {
		t.Errorf("impostor reports %q, want the refused connection", l)
	}
	if l := imp.Next(); l != "closed" {
		t.Errorf("impostor reports %q, want the connection closed with nothing sent", l)
	}
	if rest := imp.Finish(); len(rest) != 0 {
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
	imp := ipctest.Start(t, dir, addr, true)

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
	if rest := imp.Finish(); len(rest) != 0 {
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
	cmd := ipctest.AsNobody(t, dir, "BPCLIENT_IPC_DIAL="+addr)
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
