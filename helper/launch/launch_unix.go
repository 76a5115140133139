//go:build !windows

package launch

import (
	"os"
	"os/exec"
	"syscall"
)

func startDetached(newCmd func() *exec.Cmd) (*os.Process, error) {
	// A new session: out of the browser's process group and terminal.
	cmd := newCmd()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd.Process, nil
}
