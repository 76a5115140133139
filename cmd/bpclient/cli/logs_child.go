package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// childCollectTimeout bounds how long the agent waits for a bundle.
const childCollectTimeout = 2 * time.Minute

// collectInChild is the agent's support.CollectFunc: it runs `bpclient
// logs collect` into dir in a child process, since a bundle opens the
// sound system to list the devices, which must not disturb the agent's
// calls. As with the devices child (audio.ChildEnumerator), the child is
// never killed: PortAudio killed inside JACK's database leaves a lock
// that hangs every later PortAudio start. Its waiter ends with it.
func collectInChild(ctx context.Context, dir string) (string, int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", 0, fmt.Errorf("collect logs: %w", err)
	}
	path := freeName(dir, "bpclient-logs-"+time.Now().Format("20060102-150405"), ".zip")
	cmd := exec.Command(exe, "logs", "collect", "-o", path)
	cmd.Env = append(os.Environ(), "JACK_NO_START_SERVER=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", 0, fmt.Errorf("collect logs: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timeout := time.NewTimer(childCollectTimeout)
	defer timeout.Stop()
	select {
	case err := <-done:
		if err != nil {
			return "", 0, fmt.Errorf("collect logs: %w: %s", err, bytes.TrimSpace(out.Bytes()))
		}
	case <-timeout.C:
		return "", 0, fmt.Errorf("collect logs: child %d still running after %v", cmd.Process.Pid, childCollectTimeout)
	case <-ctx.Done():
		return "", 0, fmt.Errorf("collect logs: %w", ctx.Err())
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", 0, fmt.Errorf("collect logs: %w", err)
	}
	return path, info.Size(), nil
}

// freeName is dir/base+ext, or base-2, base-3... when that is taken: two
// bundles in one second do not overwrite each other.
func freeName(dir, base, ext string) string {
	path := filepath.Join(dir, base+ext)
	for i := 2; i < 100; i++ {
		if _, err := os.Lstat(path); os.IsNotExist(err) {
			break
		}
		path = filepath.Join(dir, fmt.Sprintf("%s-%d%s", base, i, ext))
	}
	return path
}
