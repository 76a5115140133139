//go:build !windows

package cli

import "os/exec"

// noConsoleWindow: only Windows gives a console program a window of its own.
func noConsoleWindow(*exec.Cmd) {}
