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
	Interval  time.Duration // default 1.5 s: a change must show within 2 s
	// Probe, when set, sums up cheaply what the device list depends on
	// (NewDeviceProbe). A child costs 20-50 ms of CPU, a probe some
	// microseconds, so a periodic enumeration is skipped while the sum
	// stays the same, except once every Refresh as a safety net. ok false
	// means the sum cannot see every change (a JACK server lists its
	// clients as devices): then every Interval enumerates. sig may be
	// reused by the next call.
	Probe   func() (sig []byte, ok bool)
	Refresh time.Duration // default 60 s
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
	refresh := w.Refresh
	if refresh <= 0 {
		refresh = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var (
		last     *DeviceList
		lastSig  []byte
		sigOK    bool
		lastEnum time.Time
		kicked   = true // the first round enumerates
	)
	for {
		due := true
		if w.Probe != nil {
			// Sum up before enumerating, so a change that happens during
			// the enumeration still differs next time.
			sig, ok := w.Probe()
			due = kicked || !ok || !sigOK || !bytes.Equal(sig, lastSig) || time.Since(lastEnum) >= refresh
			lastSig, sigOK = append(lastSig[:0], sig...), ok
		}
		if due {
			lastEnum = time.Now()
			list, err := w.Enumerate(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if w.OnError != nil {
					w.OnError(err)
				}
				sigOK = false // try again at the next tick
			} else if last == nil || !last.Equal(list) {
				last = &list
				w.OnChange(list)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			kicked = false
		case <-kick:
			kicked = true
		}
	}
}

// childTimeout bounds one enumeration in a child process.
const childTimeout = 5 * time.Second

// ChildEnumerator runs exe with args (for example the bpclient binary
// with "devices", "--json") and decodes the DeviceList it prints.
func ChildEnumerator(exe string, args ...string) func(ctx context.Context) (DeviceList, error) {
	return func(ctx context.Context) (DeviceList, error) {
		timeout := time.NewTimer(childTimeout)
		defer timeout.Stop()
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
		//
		// Nor is it left behind when the caller gives up (the agent stops):
		// the wait runs to the timeout whatever ctx says, so an agent that
		// has exited leaves no child of its executable running. An
		// uninstaller deletes that executable next, and Windows refuses
		// to delete an image that is still running.
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				return DeviceList{}, fmt.Errorf("enumerate devices: %w: %s", err, lastLine(errb.Bytes()))
			}
			if err := ctx.Err(); err != nil {
				return DeviceList{}, fmt.Errorf("enumerate devices: %w", err)
			}
		case <-timeout.C:
			return DeviceList{}, fmt.Errorf("enumerate devices: child %d still running after %v", cmd.Process.Pid, childTimeout)
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
