package launch

import (
	"context"
	"errors"

	"golang.org/x/sys/windows"
)

// WaitExit returns once process pid is gone (or ctx ends): only then may
// an installer replace or delete the executable it ran.
func WaitExit(ctx context.Context, pid int) error {
	h, err := windows.OpenProcess(windows.SYNCHRONIZE, false, uint32(pid))
	if err != nil {
		if errors.Is(err, windows.ERROR_INVALID_PARAMETER) {
			return nil // no such process: already gone
		}
		return err
	}
	defer windows.CloseHandle(h)
	for {
		ev, err := windows.WaitForSingleObject(h, 50)
		if err != nil {
			return err
		}
		if ev == windows.WAIT_OBJECT_0 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}
