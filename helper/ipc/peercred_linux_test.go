package ipc

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A process of another user that gets past the file modes (here we open
// them up on purpose) is still hung up on, by the peer-uid check.
func TestOtherUserIsHungUpOn(t *testing.T) {
	if addr := os.Getenv("BPCLIENT_IPC_DIAL"); addr != "" {
		// Child mode: running as another user.
		c, err := Dial(context.Background(), addr)
		if err != nil {
			os.Exit(3)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == io.EOF {
			os.Exit(0) // hung up on, as wanted
		}
		os.Exit(4)
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to run a process as another user")
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
	for _, p := range []string{dir, filepath.Dir(addr)} {
		os.Chmod(p, 0o777)
	}
	os.Chmod(addr, 0o666)
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	self, _ := os.Executable()
	exe := filepath.Join(dir, "ipc.test")
	data, _ := os.ReadFile(self)
	os.WriteFile(exe, data, 0o755)
	cmd := exec.Command(exe, "-test.run", "^TestOtherUserIsHungUpOn$")
	cmd.Env = append(os.Environ(), "BPCLIENT_IPC_DIAL="+addr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
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
