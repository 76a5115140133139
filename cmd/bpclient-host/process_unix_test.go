//go:build !windows

package main

import "syscall"

// processAlive says whether the process pid still exists.
func processAlive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// terminate asks the process pid to stop, as a service manager would.
func terminate(pid int) { syscall.Kill(pid, syscall.SIGTERM) }
