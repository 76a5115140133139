package desktopclient_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/desktopclient"
)

const otherUserAddr = "BPCLIENT_TEST_OTHER_USER_ADDR"

// TestMain lets this test binary play the application of another OS user.
func TestMain(m *testing.M) {
	if addr := os.Getenv(otherUserAddr); addr != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := desktopclient.Dial(ctx, desktopclient.Options{Name: "intruder", Addr: addr})
		if err == nil {
			c.Close()
			fmt.Println("CONNECTED")
			os.Exit(0)
		}
		fmt.Println("REFUSED", err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// An application of another OS user cannot reach this user's agent (the
// socket's folder and the peer check), and the agent stays up for its own.
func TestAnotherOSUsersApplicationIsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIP: running as another user needs root here; the peer check itself is tested in helper/ipc")
	}
	w := newWorld(t)
	// The test binary, where the other user may run it.
	dir, err := os.MkdirTemp("", "dcu")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "app")
	if err := copyFile(self, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(w.ctx, bin)
	cmd.Env = append(w.env.Environ(), otherUserAddr+"="+w.env.AgentSocket())
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the other user's application: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "REFUSED") {
		t.Fatalf("another user's application reached the agent: %s", out)
	}
	t.Logf("the other user's application: %s", strings.TrimSpace(string(out)))
	app, err := desktopclient.Dial(w.ctx, desktopclient.Options{Name: "own", Addr: w.env.AgentSocket()})
	if err != nil {
		t.Fatalf("the user's own application after the refusal: %v", err)
	}
	app.Close()
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
