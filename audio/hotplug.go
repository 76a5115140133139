package audio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// Watcher notices devices coming and going without touching the
// process's own PortAudio (re-initialising it would close every open
// stream): it asks Enumerate for a fresh list, which normally runs
// `bpclient devices --json` in a short-lived child process, every
// Interval and whenever the OS says the sound hardware changed.
type Watcher struct {
	Enumerate func(ctx context.Context) (DeviceList, error)
	Interval  time.Duration // default: 5 s on Linux (uevents announce hardware), 1.5 s elsewhere
	// OnChange receives each list that differs from the previous one.
	OnChange func(DeviceList)
	// OnError receives enumeration failures (optional).
	OnError func(error)
}

// Run watches until ctx ends. The first list is reported as a change.
func (w *Watcher) Run(ctx context.Context) error {
	interval := w.Interval
	if interval <= 0 {
		interval = defaultWatchInterval
	}
	kick := make(chan struct{}, 1)
	osCtx, stopOS := context.WithCancel(ctx)
	defer stopOS()
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchOS(osCtx, func() { signal(kick) })
	}()
	defer func() { stopOS(); <-done }()
	t := time.NewTicker(interval)
	defer t.Stop()
	var last *DeviceList
	for {
		list, err := w.Enumerate(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if w.OnError != nil {
				w.OnError(err)
			}
		} else if last == nil || !last.Equal(list) {
			last = &list
			w.OnChange(list)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-kick:
		}
	}
}

// ChildEnumerator runs exe with args (for example the bpclient binary
// with "devices", "--json") and decodes the DeviceList it prints.
func ChildEnumerator(exe string, args ...string) func(ctx context.Context) (DeviceList, error) {
	return func(ctx context.Context) (DeviceList, error) {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		cmd := exec.Command(exe, args...)
		// PortAudio's JACK host API would start a JACK server to list it.
		cmd.Env = append(os.Environ(), "JACK_NO_START_SERVER=1")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			return DeviceList{}, fmt.Errorf("enumerate devices: %w", err)
		}
		// The child is never killed. PortAudio's JACK client opens JACK's
		// metadata database (a Berkeley DB in /dev/shm/jack_db-<uid>); a
		// process killed inside it leaves a lock behind that hangs every
		// later PortAudio start of this user, the agent's included. The
		// child ends by itself within milliseconds, and its waiter with it.
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				return DeviceList{}, fmt.Errorf("enumerate devices: %w: %s", err, lastLine(errb.Bytes()))
			}
		case <-ctx.Done():
			return DeviceList{}, fmt.Errorf("enumerate devices: child %d still running: %w", cmd.Process.Pid, ctx.Err())
		}
		var l DeviceList
		if err := json.Unmarshal(out.Bytes(), &l); err != nil {
			return DeviceList{}, fmt.Errorf("enumerate devices: %w", err)
		}
		return l, nil
	}
}

func lastLine(b []byte) string {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return string(b)
}
