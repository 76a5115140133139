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
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
)

// fileDevices opens the audio system on ALSA file devices in a temporary
// folder, also returned: the default capture plays a 1 kHz tone at half
// scale, the default playback (sipplay) writes out.wav there.
func fileDevices(t *testing.T) (*audio.System, string) {
	t.Helper()
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
	// ALSA's file devices are PortAudio's: no desktop's sound server.
	t.Setenv(audio.BackendEnv, audio.BackendPortAudio)
	if out, err := exec.Command("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed", "-t", "raw",
		filepath.Join(dir, "in.s16"), "synth", "300", "sine", "1000", "vol", "0.5").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v %s", err, out)
	}
	sys, err := audio.Open()
	if err != nil {
		t.Fatal(err)
	}
	return sys, dir
}

// The service inside a real agent, on ALSA file devices: the API lists
// them, audio.test sends audio.level events that hear the file's tone,
// and a change the watcher sees reaches clients as audio.devicesChanged.
func TestAgentAudioOnFileDevices(t *testing.T) {
	sys, dir := fileDevices(t)
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

// events records what a service broadcasts.
type events chan string

func (e events) Broadcast(event string, _ any) { e <- event }

// An audio test belongs to Run: one asked for before Run starts runs
// under Run's context, so that Run's end stops it (a 60 s test does not
// hold the agent's shutdown) and audio.testDone is out before Run
// returns; one asked for after Run ended is refused, not left unowned.
func TestRunOwnsTheAudioTests(t *testing.T) {
	sys, dir := fileDevices(t)
	defer sys.Close()
	sent := make(events, 1024)
	svc := New(Options{System: sys, ConfigDir: filepath.Join(dir, "cfg"), Events: sent, Logger: zerolog.Nop()})
	test := svc.Methods()["audio.test"]
	params := &agent.Call{Params: json.RawMessage(`{"seconds": 60}`), Kind: "local"}
	type answer struct {
		res any
		err *jsonrpc.Error
	}
	answered := make(chan answer, 1)
	go func() {
		res, err := test(context.Background(), params)
		answered <- answer{res, err}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(ctx) }()
	select {
	case a := <-answered:
		if a.err != nil {
			t.Fatalf("audio.test: %+v", a.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("hang guard (30 s): no answer to audio.test")
	}
	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("hang guard (30 s): Run still waits for the 60 s test it was told to end")
	}
	done := false
	for len(sent) > 0 {
		done = done || <-sent == "audio.testDone"
	}
	if !done {
		t.Error("Run returned before the test's audio.testDone")
	}
	res, err := test(context.Background(), params)
	if err == nil || err.Code != jsonrpc.CodeInternal {
		t.Errorf("audio.test after Run ended: %v, %+v; want a refusal", res, err)
	}
}
