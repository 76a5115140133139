//go:build !windows

package launch

import (
	"context"
	"errors"
	"syscall"
	"time"
)

// WaitExit returns once process pid is gone (or ctx ends). It works for
// processes that are not our children, by probing with signal 0.
func WaitExit(ctx context.Context, pid int) error {
	for {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
