package audioapi

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/internal/soundtest"
)

// broadcasts records what a service broadcasts, with the params.
type broadcasts chan [2]string

func (b broadcasts) Broadcast(event string, params any) {
	p, _ := json.Marshal(params)
	b <- [2]string{event, string(p)}
}

// childrenRunning lists this process's children running exe.
func childrenRunning(exe string) []string {
	var found []string
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	me := strconv.Itoa(os.Getpid())
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		if fs := strings.Fields(rest); len(fs) > 1 && fs[1] == me {
			if target, err := os.Readlink(filepath.Join(filepath.Dir(f), "exe")); err == nil && target == exe {
				found = append(found, filepath.Base(filepath.Dir(f)))
			}
		}
	}
	return found
}

// On the PulseAudio backend the service follows the server's events: a
// sink plugged in and out reaches clients as audio.devicesChanged with no
// Enumerate (no child process, no polling), and a call's stream on the
// unplugged sink moves, as audio.deviceMoved says.
func TestServiceFollowsPulseEvents(t *testing.T) {
	soundtest.ForEach(t, func(t *testing.T, server string) {
		p := soundtest.Start(t, server)
		t.Setenv(audio.BackendEnv, audio.BackendPulse)
		sys, err := audio.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer sys.Close()
		sent := make(broadcasts, 64)
		svc := New(Options{System: sys, ConfigDir: t.TempDir(), Events: sent, Logger: zerolog.Nop()})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); svc.Run(ctx) }()
		defer wg.Wait()
		defer cancel()
		wait := func(event string, ok func(params string) bool, either ...func(event, params string) bool) time.Duration {
			t.Helper()
			t0 := time.Now()
			deadline := time.After(30 * time.Second)
			for {
				select {
				case b := <-sent:
					if b[0] == event && ok(b[1]) || len(either) > 0 && either[0](b[0], b[1]) {
						return time.Since(t0)
					}
				case <-deadline:
					t.Fatalf("hang guard (30 s): no %s", event)
				}
			}
		}
		p.Output(t, "pactl", "load-module", "module-null-sink", "sink_name=usb", "rate=48000", "channels=1")
		took := wait("audio.devicesChanged", func(l string) bool { return strings.Contains(l, `"PulseAudio:usb#0"`) })
		t.Logf("plugged in: audio.devicesChanged after %v", took)
		if got := svc.RingerDevices(); !strings.Contains(strings.Join(got, " "), "PulseAudio:usb#0") {
			t.Errorf("ringer devices %v lack the new sink", got)
		}
		pb, err := sys.OpenPlayback("PulseAudio:usb#0", audio.Format{Rate: 8000, Frame: 20 * time.Millisecond}, audio.StreamOptions{Name: "call", OnMove: svc.OnMove})
		if err != nil {
			t.Fatal(err)
		}
		defer pb.Close()
		time.Sleep(300 * time.Millisecond)
		p.UnloadSink(t, "usb")
		// Both come, in either order.
		var moved, listed bool
		took = wait("audio.deviceMoved and audio.devicesChanged", func(string) bool { return false }, func(event, params string) bool {
			switch event {
			case "audio.deviceMoved":
				moved = moved || strings.Contains(params, `"from":"PulseAudio:usb#0"`) && strings.Contains(params, `"to":"PulseAudio:spk#0"`)
			case "audio.devicesChanged":
				listed = listed || !strings.Contains(params, `"PulseAudio:usb#0"`)
			}
			return moved && listed
		})
		t.Logf("unplugged: moved and listed after %v", took)
		exe, _ := os.Executable()
		if kids := childrenRunning(exe); len(kids) > 0 {
			t.Errorf("children of this process run %s: %v", exe, kids)
		}
	})
}
