package cli

import (
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// noConsoleWindow keeps bpclient-chart.exe, a console program, from
// opening a console window when the agent (bpclient-agent.exe, which has
// none) collects a bundle for the popup. Its pipes work without one.
func noConsoleWindow(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_NO_WINDOW, HideWindow: true}
}
