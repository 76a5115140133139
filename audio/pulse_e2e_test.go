//go:build linux

package audio

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jfreymuth/pulse/proto"

	"github.com/openbpclient/bpclient/audio/dsp"
)

// The PulseAudio backend against the private PulseAudio and PipeWire
// (internal/soundtest): these need no cgo.

// openPulseSystem opens the system as Open chooses it with a server
// running, and checks that the choice is the PulseAudio backend.
func openPulseSystem(t *testing.T, p *pulse) *System {
	t.Helper()
	t.Setenv(BackendEnv, "")
	sys := openSystem(t)
	info := sys.Backend()
	t.Logf("backend %+v", info)
	if info.Name != BackendPulse {
		t.Fatalf("with %s answering, Open chose %+v", p.Kind, info)
	}
	if !sys.HasDeviceEvents() {
		t.Fatal("the PulseAudio backend has no device events")
	}
	return sys
}

func TestPulseBackendChosenWithItsServer(t *testing.T) {
	forEachSoundServer(t, func(t *testing.T, server string) {
		p := startPulse(t, server)
		info := openPulseSystem(t, p).Backend()
		want := "pulseaudio "
		if server == serverPipeWire {
			want = "PipeWire "
		}
		if !strings.HasPrefix(info.Server, want) || !strings.Contains(info.Description, info.Server) ||
			info.Address != p.Addr || !strings.Contains(info.Reason, p.Addr) {
			t.Errorf("backend %+v, want the server %q… at %s", info, want, p.Addr)
		}
		if server == serverPipeWire && !strings.HasSuffix(info.Server, " via pipewire-pulse") {
			t.Errorf("server %q, want PipeWire … via pipewire-pulse", info.Server)
		}
		// Asked for PortAudio, it is PortAudio (or, without cgo, no
		// audio), and the reason says who asked.
		t.Setenv(BackendEnv, BackendPortAudio)
		sys, err := Open()
		switch {
		case err == nil:
			if b := sys.Backend(); b.Name != BackendPortAudio || !strings.Contains(b.Reason, BackendEnv) {
				t.Errorf("%s=portaudio: backend %+v", BackendEnv, b)
			}
			sys.Close()
		case !portAudioAvailable:
			t.Logf("%s=portaudio without PortAudio in the build: %v", BackendEnv, err)
		default:
			t.Errorf("%s=portaudio: %v", BackendEnv, err)
		}
	})
}

// With no server, asking for the PulseAudio backend fails and says why;
// choosing falls back to PortAudio, saying why.
func TestPulseBackendWithoutServer(t *testing.T) {
	t.Setenv("PULSE_SERVER", "unix:"+t.TempDir()+"/none")
	t.Setenv(BackendEnv, BackendPulse)
	if sys, err := Open(); err == nil {
		sys.Close()
		t.Fatal("BPCLIENT_AUDIO_BACKEND=pulse opened with no server")
	} else if !strings.Contains(err.Error(), BackendEnv+"=pulse") {
		t.Errorf("error %q does not say who asked", err)
	}
	t.Setenv(BackendEnv, "")
	alsaEnv(t, fileDevices)
	sys, err := Open()
	if !portAudioAvailable {
		if err == nil || !strings.Contains(err.Error(), "no PulseAudio-protocol server answered") {
			t.Fatalf("without a server or PortAudio: %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	if b := sys.Backend(); b.Name != BackendPortAudio || !strings.Contains(b.Reason, "no PulseAudio-protocol server answered") {
		t.Errorf("backend %+v", b)
	}
}

func TestPulseBackendDeviceList(t *testing.T) {
	forEachSoundServer(t, func(t *testing.T, server string) {
		p := startPulse(t, server)
		l, err := openPulseSystem(t, p).Devices()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", l)
		for _, id := range []string{"PulseAudio:spk#0", "PulseAudio:ring1#0", "PulseAudio:ring2#0", "PulseAudio:headset#0"} {
			if _, ok := l.Find(id, false); !ok {
				t.Errorf("no output %s", id)
			}
		}
		spk, _ := l.Find("PulseAudio:spk#0", false)
		if spk.Name != "TestSpeaker" || !spk.Default || spk.HostAPI != "PulseAudio" || spk.Channels != 1 || spk.DefaultRate != 48000 {
			t.Errorf("speaker %+v, want TestSpeaker, the default, mono at 48 kHz", spk)
		}
		mic, ok := l.Find("PulseAudio:mic.monitor#0", true)
		if !ok || !mic.Default || !mic.Monitor {
			t.Errorf("microphone %+v (listed %v), want the default input, a monitor", mic, ok)
		}
		if d, ok := l.DefaultDevice(false); !ok || d.ID != "PulseAudio:spk#0" {
			t.Errorf("default output %+v", d)
		}
		// A fresh connection lists the same ids (they survive restarts).
		again, err := openPulseSystem(t, p).Devices()
		if err != nil || !again.Equal(l) {
			t.Errorf("a second system lists %+v (%v)", again, err)
		}
	})
}

// Hot-plug comes as the server's events: a sink plugged in, the default
// changed and the sink unplugged are each reported, with no poll and no
// child process.
func TestPulseBackendHotplugEvents(t *testing.T) {
	forEachSoundServer(t, func(t *testing.T, server string) {
		p := startPulse(t, server)
		sys := openPulseSystem(t, p)
		lists := make(chan DeviceList, 16)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- sys.WatchDevices(ctx, func(l DeviceList) { lists <- l }) }()
		defer func() { cancel(); <-done }()
		first := recv(t, lists, "no first list")
		if _, ok := first.Find("PulseAudio:spk#0", false); !ok {
			t.Fatalf("first list %+v", first)
		}
		waitFor := func(what string, ok func(DeviceList) bool) time.Duration {
			t.Helper()
			t0 := time.Now()
			for {
				if l := recv(t, lists, what); ok(l) {
					return time.Since(t0)
				}
			}
		}
		p.Output(t, "pactl", "load-module", "module-null-sink", "sink_name=usb", "rate=48000", "channels=1")
		took := waitFor("the plugged-in sink was not reported", func(l DeviceList) bool {
			_, ok := l.Find("PulseAudio:usb#0", false)
			return ok
		})
		t.Logf("plugged in: reported after %v", took)
		p.Output(t, "pactl", "set-default-sink", "usb")
		took = waitFor("the new default was not reported", func(l DeviceList) bool {
			d, ok := l.DefaultDevice(false)
			return ok && d.ID == "PulseAudio:usb#0"
		})
		t.Logf("default changed: reported after %v", took)
		p.UnloadSink(t, "usb")
		took = waitFor("the unplugged sink was not reported", func(l DeviceList) bool {
			_, ok := l.Find("PulseAudio:usb#0", false)
			return !ok
		})
		t.Logf("unplugged: reported after %v", took)
	})
}

func TestPulseBackendPlaysTone(t *testing.T) {
	forEachSoundServer(t, func(t *testing.T, server string) {
		p := startPulse(t, server)
		sys := openPulseSystem(t, p)
		rec := p.Record(t, "headset", 8000)
		pb, err := sys.OpenPlayback("PulseAudio:headset#0", f8k20, StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var ph float64
		for range 100 { // 2 s
			if _, err := pb.WritePCM(sine(1000, 8000, 160, 0.5, &ph)); err != nil {
				t.Fatal(err)
			}
		}
		st := pb.Stats()
		pb.Close()
		got := rec()
		t.Logf("stats %+v", st)
		if st.DeviceRate != 8000 || st.Device != "PulseAudio:headset#0" {
			t.Errorf("stats %+v, want the headset at the codec's rate", st)
		}
		checkTone(t, "played", loud(got, 160), 8000, 1000)
	})
}

func TestPulseBackendCapturesTone(t *testing.T) {
	forEachSoundServer(t, func(t *testing.T, server string) {
		p := startPulse(t, server)
		var ph float64
		p.Feed(t, "mic", sine(1000, 8000, 8000*20, 0.5, &ph), 8000)
		sys := openPulseSystem(t, p)
		c, err := sys.OpenCapture("", Format{Rate: 16000, Frame: 20 * time.Millisecond}, StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		buf := make([]int16, 320)
		var got []int16
		deadline := time.Now().Add(hangGuard)
		for len(got) < 16000 {
			n, err := c.ReadPCM(buf)
			if err != nil {
				t.Fatal(err)
			}
			if dsp.RMS(buf[:n]) > 0.05 || len(got) > 0 {
				got = append(got, buf[:n]...)
			}
			if time.Now().After(deadline) {
				t.Fatalf("hang guard (%v): no tone captured", hangGuard)
			}
		}
		st := c.Stats()
		t.Logf("stats %+v", st)
		if st.DeviceRate != 16000 || st.Device != "PulseAudio:mic.monitor#0" {
			t.Errorf("stats %+v, want the default input at the codec's rate", st)
		}
		checkTone(t, "captured at 16 kHz", got, 16000, 1000)
	})
}

// readUntil reads a capture stream on a goroutine until ctx ends.
func readUntil(ctx context.Context, wg *sync.WaitGroup, c *Capture) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]int16, c.Format().Samples())
		for ctx.Err() == nil {
			if _, err := c.ReadPCM(buf); err != nil {
				return
			}
		}
	}()
}

// waitFrames waits until a stream has handed over n more frames.
func waitFrames(t *testing.T, st interface{ Stats() Stats }, n uint64, what string) {
	t.Helper()
	base := st.Stats().Frames
	deadline := time.Now().Add(hangGuard)
	for st.Stats().Frames < base+n {
		if time.Now().After(deadline) {
			t.Fatalf("hang guard (%v): %s: %+v", hangGuard, what, st.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A stream whose device goes is moved to the default device within 1 s
// (logged; the guard only catches a hang), as the server's events say:
// on PulseAudio the server kills it, on PipeWire the server moves it to
// some other device of its own choosing, and either way it belongs on
// the default one.
func TestPulseBackendDeviceRemovedMidStream(t *testing.T) {
	forEachSoundServer(t, func(t *testing.T, server string) {
		for _, tc := range []struct {
			name, sink, id, want string
			input                bool
		}{
			{"capture", "headset", "PulseAudio:headset.monitor#0", "PulseAudio:mic.monitor#0", true},
			{"playback", "ring1", "PulseAudio:ring1#0", "PulseAudio:spk#0", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				took := pulseRemoveMidStream(t, server, tc.sink, tc.id, tc.want, tc.input)
				t.Logf("%s moved to the default device %v after its device went", tc.name, took)
			})
		}
	})
}

// pulseRemoveMidStream opens a stream on id, unloads sink and returns
// how long the move to want took.
func pulseRemoveMidStream(t *testing.T, server, sink, id, want string, input bool) time.Duration {
	p := startPulse(t, server)
	sys := openPulseSystem(t, p)
	moved := make(chan Move, 4)
	o := StreamOptions{Name: "call", OnMove: func(m Move) { moved <- m }}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	var st interface{ Stats() Stats }
	if input {
		c, err := sys.OpenCapture(id, f8k20, o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		readUntil(ctx, &wg, c)
		st = c
	} else {
		pb, err := sys.OpenPlayback(id, f8k20, o)
		if err != nil {
			t.Fatal(err)
		}
		defer pb.Close()
		writeUntil(ctx, &wg, pb, 400)
		st = pb
	}
	waitFrames(t, st, 25, "the stream never ran")
	p.UnloadSink(t, sink)
	gone := time.Now()
	m := recv(t, moved, "the stream was not moved")
	took := time.Since(gone)
	t.Logf("moved: %+v", m)
	if m.From != id || m.To != want || m.Reason != ReasonRemoved {
		t.Errorf("move %+v, want from %s to %s, reason %s", m, id, want, ReasonRemoved)
	}
	waitFrames(t, st, 25, "the stream stopped after the move")
	if s := st.Stats(); s.Device != want || s.Moves != 1 {
		t.Errorf("stats %+v, want one move, to %s", s, want)
	}
	select {
	case m := <-moved:
		t.Errorf("a second move: %+v", m)
	default:
	}
	return took
}

// writeUntil plays a tone on a goroutine until ctx ends.
func writeUntil(ctx context.Context, wg *sync.WaitGroup, pb *Playback, hz float64) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		f := pb.Format()
		var ph float64
		for ctx.Err() == nil {
			if _, err := pb.WritePCM(sine(hz, f.Rate, f.Samples(), 0.3, &ph)); err != nil {
				return
			}
		}
	}()
}

// A capture stream the server drops (as when a USB device is yanked)
// moves to the default device; the device itself is still listed, so
// the reason is an error.
func TestPulseBackendStreamKilled(t *testing.T) {
	forEachSoundServer(t, func(t *testing.T, server string) {
		p := startPulse(t, server)
		sys := openPulseSystem(t, p)
		moved := make(chan Move, 4)
		c, err := sys.OpenCapture("PulseAudio:headset.monitor#0", f8k20, StreamOptions{Name: "call", OnMove: func(m Move) { moved <- m }})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		readUntil(ctx, &wg, c)
		waitFrames(t, c, 25, "the stream never ran")
		killSourceOutputs(t, p)
		killed := time.Now()
		m := recv(t, moved, "the killed stream was not moved")
		t.Logf("moved after %v: %+v", time.Since(killed), m)
		if m.From != "PulseAudio:headset.monitor#0" || m.To != "PulseAudio:mic.monitor#0" || m.Reason != ReasonError {
			t.Errorf("move %+v, want from the headset's monitor to the default input, reason %s", m, ReasonError)
		}
		waitFrames(t, c, 25, "the stream stopped after the move")
	})
}

// killSourceOutputs makes the server drop every capture stream. pactl
// 16.1 has no kill-source-output (soundtest's KillSourceOutputs does
// nothing on PulseAudio), so on PulseAudio the command goes over a
// connection of our own.
func killSourceOutputs(t *testing.T, p *pulse) {
	t.Helper()
	if p.Kind == serverPipeWire {
		p.KillSourceOutputs(t)
		return
	}
	c, err := dialPulse(parsePulseServer(p.Addr, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	var outs proto.GetSourceOutputInfoListReply
	if err := c.c.Request(&proto.GetSourceOutputInfoList{}, &outs); err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if err := c.c.Request(&proto.KillSourceOutput{SourceOutputIndex: o.SourceOutpuIndex}, nil); err != nil {
			t.Fatalf("kill source output %d: %v", o.SourceOutpuIndex, err)
		}
	}
}

// mapped reports whether a library whose file name holds name is mapped
// into this process.
func mapped(t *testing.T, name string) bool {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), name)
}

// The PulseAudio backend loads no sound library: neither ALSA's (which
// brings its plugins, JACK's client and libavcodec along) nor PortAudio.
// A build that links them at start (the system's libportaudio, as in
// development) maps them before anything runs; the release build's
// static PortAudio opens libasound only when it starts, which this
// backend never makes it do.
func TestPulseBackendLoadsNoSoundLibrary(t *testing.T) {
	forEachSoundServer(t, func(t *testing.T, server string) {
		p := startPulse(t, server)
		libs := []string{"libasound.so", "libportaudio.so", "libjack.so"}
		before := map[string]bool{}
		for _, l := range libs {
			before[l] = mapped(t, l)
		}
		sys := openPulseSystem(t, p)
		pb, err := sys.OpenPlayback("", f8k20, StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := sys.OpenCapture("", f8k20, StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		readUntil(ctx, &wg, c)
		waitFrames(t, c, 10, "no capture")
		cancel()
		pb.Close()
		c.Close()
		wg.Wait()
		for _, l := range libs {
			switch {
			case before[l]:
				t.Logf("%s: linked into this build at start (not the release's static PortAudio)", l)
			case mapped(t, l):
				t.Errorf("the PulseAudio backend loaded %s", l)
			}
		}
	})
}

// processWithEnv finds the process running name whose environment holds
// kv; 0 when none does.
func processWithEnv(t *testing.T, name, kv string) int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || filepath.Base(strings.SplitN(string(cmd), "\x00", 2)[0]) != name {
			continue
		}
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !slices.Contains(strings.Split(string(env), "\x00"), kv) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		return pid
	}
	return 0
}

// When the sound server goes away and comes back (pipewire-pulse
// restarted, as a package update does), the backend reconnects: the
// device list comes back and a call's capture stream runs again on the
// default device, as a move says. (PipeWire only: soundtest cannot
// restart a PulseAudio at the same address.)
func TestPulseBackendServerRestart(t *testing.T) {
	p := startPulse(t, serverPipeWire)
	sys := openPulseSystem(t, p)
	moved := make(chan Move, 4)
	c, err := sys.OpenCapture("", f8k20, StreamOptions{Name: "call", OnMove: func(m Move) { moved <- m }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	readUntil(ctx, &wg, c)
	waitFrames(t, c, 10, "the stream never ran")
	run := "XDG_RUNTIME_DIR=" + p.Dir + "/run"
	pid := processWithEnv(t, "pipewire-pulse", run)
	if pid == 0 {
		t.Fatal("no pipewire-pulse of this test")
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	for processWithEnv(t, "pipewire-pulse", run) != 0 {
		time.Sleep(10 * time.Millisecond)
	}
	os.Remove(p.Dir + "/run/pulse/native") // a killed server leaves its socket
	restart := exec.Command("pipewire-pulse")
	restart.Env = strings.Split(strings.TrimRight(string(env), "\x00"), "\x00")
	restart.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := restart.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restart.Process.Kill(); restart.Wait() })
	back := time.Now()
	m := recv(t, moved, "the stream did not come back after the restart")
	t.Logf("after the restart: moved after %v: %+v", time.Since(back), m)
	waitFrames(t, c, 25, "the stream did not run after the restart")
	// The sinks the test loaded were pipewire-pulse's modules and went
	// with it: the default input is now PipeWire's own.
	l, err := sys.Devices()
	def, ok := l.DefaultDevice(true)
	if err != nil || !ok || m.To != def.ID || m.From != "PulseAudio:mic.monitor#0" || m.Reason != ReasonError {
		t.Errorf("move %+v, want to the default input %+v, reason %s (%v)", m, def, ReasonError, err)
	}
}
