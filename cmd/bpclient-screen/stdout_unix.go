//go:build !windows

package main

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// protocolOut is where the frames to the agent go: a copy of stdout,
// whose descriptor 1 then points at stderr, so that a C library's
// printf becomes a log line instead of breaking a frame.
func protocolOut() *os.File {
	fd, err := syscall.Dup(1)
	if err != nil {
		return os.Stdout
	}
	if err := unix.Dup2(2, 1); err != nil {
		_ = syscall.Close(fd)
		return os.Stdout
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "agent")
}
