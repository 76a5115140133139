package screenproxy

import (
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// hideWindow: the worker shows no console window.
func hideWindow(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_NO_WINDOW, HideWindow: true}
}
