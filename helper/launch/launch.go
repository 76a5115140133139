// Package launch starts the agent as a process of its own, detached from
// whoever asked: the browser kills a native host's process group (or, on
// Windows, its job object) when the port closes, and the agent must live on.
package launch

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// AgentBinary is bpclient's path beside the running executable (the host
// and the CLI are installed together).
func AgentBinary() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find agent binary: %w", err)
	}
	name := "bpclient"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(filepath.Dir(self), name), nil
}

// Detached starts bin with args in a new session, stdio on the null
// device, and does not wait for it.
func Detached(bin string, args ...string) error {
	newCmd := func() *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Dir = filepath.Dir(bin) // stdio stays nil: the null device
		return cmd
	}
	proc, err := startDetached(newCmd)
	if err != nil {
		return fmt.Errorf("start %s: %w", filepath.Base(bin), err)
	}
	// Nobody waits for it; release the handle so no zombie is left to us.
	return proc.Release()
}
