//go:build !windows

package screenproxy

import "os/exec"

func hideWindow(*exec.Cmd) {}
