package launch

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

func startDetached(newCmd func() *exec.Cmd) (*os.Process, error) {
	// Leave the browser's job object so that closing the port does not
	// kill the agent. Chrome's job allows breakaway; where a job does not,
	// start without it rather than not at all.
	flags := uint32(windows.CREATE_NEW_PROCESS_GROUP | windows.DETACHED_PROCESS | windows.CREATE_NO_WINDOW)
	var err error
	for _, f := range []uint32{flags | windows.CREATE_BREAKAWAY_FROM_JOB, flags} {
		cmd := newCmd()
		cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: f, HideWindow: true}
		if err = cmd.Start(); err == nil {
			return cmd.Process, nil
		}
	}
	return nil, err
}
