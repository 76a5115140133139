package browsertest

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd in a process group of its own.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// killGroup ends cmd's process (Windows has no process-group signal; a
// job object would be needed for the children).
func killGroup(cmd *exec.Cmd) {
	cmd.Process.Kill()
}
