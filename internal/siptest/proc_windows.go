package siptest

import "os/exec"

func ownGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

func termProcess(cmd *exec.Cmd) { killGroup(cmd) }

func pauseProcess(cmd *exec.Cmd)    {}
func continueProcess(cmd *exec.Cmd) {}
func pauseGroup(cmd *exec.Cmd)      {}
func continueGroup(cmd *exec.Cmd)   {}
