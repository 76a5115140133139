//go:build linux && cgo && !noportaudio

package audioapi

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/policy"
)

// The service inside a real agent, on ALSA file devices: the API lists
// them, audio.test sends audio.level events that hear the file's tone,
// and a change the watcher sees reaches clients as audio.devicesChanged.
func TestAgentAudioOnFileDevices(t *testing.T) {
	if _, err := exec.LookPath("sox"); err != nil {
		t.Skip("SKIP: sox is not installed (scripts/deps.sh installs it)")
	}
	dir := t.TempDir()
	conf := strings.ReplaceAll(`
pcm.!default { type asym playback.pcm "sipplay" capture.pcm "sipcap" }
ctl.!default { type null }
pcm.sipcap { type file slave.pcm "sipnull" file "/dev/null" infile "DIR/in.s16" format "raw" }
pcm.sipplay { type file slave.pcm "sipnull" file "DIR/out.wav" format "wav" }
pcm.sipnull { type null }
`, "DIR", dir)
	os.WriteFile(filepath.Join(dir, "asound.conf"), []byte(conf), 0o644)
	t.Setenv("ALSA_CONFIG_PATH", filepath.Join(dir, "asound.conf"))
	t.Setenv("JACK_NO_START_SERVER", "1")
	if out, err := exec.Command("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed", "-t", "raw",
		filepath.Join(dir, "in.s16"), "synth", "300", "sine", "1000", "vol", "0.5").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v %s", err, out)
	}
	sys, err := audio.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()

	ln, err := ipc.Listen(filepath.Join(dir, "run", "agent.sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := agent.New(agent.Options{Policy: &policy.Store{AdminFile: filepath.Join(dir, "a.json"), UserFile: filepath.Join(dir, "u.json")}, Logger: zerolog.Nop()})
	// The watcher's enumerations: the real list, then one without sipplay.
	real, _ := sys.Devices()
	var mu sync.Mutex
	next := real
	svc := New(Options{System: sys, ConfigDir: filepath.Join(dir, "cfg"), Events: srv, Logger: zerolog.Nop(),
		WatchInterval: 50 * time.Millisecond,
		Enumerate: func(ctx context.Context) (audio.DeviceList, error) {
			mu.Lock()
			defer mu.Unlock()
			return next, nil
		}})
	if err := srv.Register(svc); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); srv.Serve(ctx, ln) }()
	go func() { defer wg.Done(); svc.Run(ctx) }()
	defer wg.Wait()
	defer cancel()

	c, err := client.Dial(ctx, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var hello struct{ Capabilities []string }
	if err := c.Call(ctx, "helper.hello", map[string]string{"client": "test"}, &hello); err != nil {
		t.Fatal(err)
	}
	var list audio.DeviceList
	if err := c.Call(ctx, "audio.devices", nil, &list); err != nil {
		t.Fatal(err)
	}
	if _, ok := list.Find("ALSA:sipplay#0", false); !ok {
		t.Fatalf("audio.devices: %+v", list)
	}
	if err := c.Call(ctx, "audio.select", map[string]any{"ringer": []string{"ALSA:sipplay#0"}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(ctx, "audio.select", map[string]any{"output": "ALSA:nope#0"}, nil); err == nil {
		t.Fatal("selected a device that does not exist")
	}
	if err := c.Call(ctx, "audio.test", map[string]any{"seconds": 0.5}, nil); err != nil {
		t.Fatal(err)
	}
	levels := 0
	var loudest float64 = -200
	timeout := time.After(10 * time.Second)
	for done := false; !done; {
		select {
		case ev := <-c.Events():
			switch ev.Method {
			case "audio.level":
				var l struct{ RMSDbfs float64 }
				json.Unmarshal(ev.Params, &l)
				levels++
				loudest = max(loudest, l.RMSDbfs)
			case "audio.testDone":
				t.Logf("testDone %s", ev.Params)
				done = true
			}
		case <-timeout:
			t.Fatal("no audio.testDone")
		}
	}
	// A 0.5 full-scale sine reads -9 dBFS RMS.
	if levels < 3 || loudest < -10 || loudest > -8 {
		t.Fatalf("%d level events, loudest %.1f dBFS; want about -9", levels, loudest)
	}
	mu.Lock()
	next.Outputs = next.Outputs[:0]
	mu.Unlock()
	timeout = time.After(5 * time.Second)
	for {
		select {
		case ev := <-c.Events():
			if ev.Method == "audio.devicesChanged" {
				var l audio.DeviceList
				json.Unmarshal(ev.Params, &l)
				if len(l.Outputs) != 0 {
					t.Fatalf("devicesChanged %s", ev.Params)
				}
				return
			}
		case <-timeout:
			t.Fatal("no audio.devicesChanged")
		}
	}
}
