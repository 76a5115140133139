//go:build linux

package soundtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/testpeers"
)

// HangGuard bounds every wait for a server: a test fails with the
// server's log instead of hanging.
const HangGuard = 30 * time.Second

// NeedTool skips the test (fails it in CI) when a tool is missing.
func NeedTool(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			// In CI a missing sound server fails the test, as a missing
			// Kamailio does: scripts/deps.sh should have installed it.
			testpeers.Missing(t, n+" is not installed (scripts/deps.sh installs it)")
		}
	}
}

// ALSAEnv points ALSA at a config of our own (DIR in conf is replaced by
// a fresh folder, which is returned); PortAudio must be opened after it.
func ALSAEnv(t testing.TB, conf string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "asound.conf")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(conf, "DIR", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ALSA_CONFIG_PATH", p)
	t.Setenv("JACK_NO_START_SERVER", "1")
	return dir
}

// PulseDevices routes ALSA to the private server: the default PCM and
// one PCM per sink, so PortAudio lists each as a device.
const PulseDevices = `
pcm.!default { type pulse }
ctl.!default { type pulse }
pcm.spk { type pulse device "spk" }
pcm.ring1 { type pulse device "ring1" }
pcm.ring2 { type pulse device "ring2" }
pcm.headset { type pulse device "headset" }
pcm.micin { type pulse device "mic.monitor" }
pcm.hsin { type pulse device "headset.monitor" }
`

// pulseSinks are the test devices, as PulseAudio script lines that are
// also pactl commands (pipewire-pulse gets them through pactl).
const pulseSinks = `
load-module module-null-sink sink_name=spk rate=48000 channels=1 sink_properties=device.description=TestSpeaker
load-module module-null-sink sink_name=mic rate=48000 channels=1 sink_properties=device.description=TestMicFeed
load-module module-null-sink sink_name=ring1 rate=48000 channels=1
load-module module-null-sink sink_name=ring2 rate=48000 channels=1
load-module module-null-sink sink_name=headset rate=48000 channels=1
set-default-sink spk
set-default-source mic.monitor
`

const pulseConfig = `
load-module module-native-protocol-unix auth-anonymous=1 socket=DIR/run/native
` + pulseSinks

// Start starts a private sound server (PulseAudio or PipeWire) with its own runtime dir and points ALSA (and so
// PortAudio) at it. Every process it starts is stopped when the test ends.
func Start(t testing.TB, server string) *Server {
	t.Helper()
	NeedTool(t, "pactl", "paplay", "parecord")
	dir, err := os.MkdirTemp("", "bpclient-"+server+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"run", "home", "home/.config/pulse"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// pulseaudio is installed beside PipeWire: a client must never
	// autospawn one on the test's runtime dir.
	if err := os.WriteFile(filepath.Join(dir, "home/.config/pulse/client.conf"), []byte("autospawn = no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Registered before the servers start, so it runs after they stop: a
	// process that left its group (a daemonized child, an autospawned
	// server) still carries the private runtime dir in its environment.
	t.Cleanup(func() {
		if left := processesWithEnv("XDG_RUNTIME_DIR=" + dir + "/run"); len(left) > 0 {
			t.Errorf("%s left processes behind: %v", server, left)
		}
	})
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir + "/home", "XDG_RUNTIME_DIR=" + dir + "/run",
		"XDG_CONFIG_HOME=" + dir + "/home/.config", "PULSE_CLIENTCONFIG=" + dir + "/home/.config/pulse/client.conf"}
	p := &Server{Kind: server, Dir: dir}
	var logs []*syncWriter
	switch server {
	case PulseAudio:
		logs = p.startPulseAudio(t, env)
	case PipeWire:
		logs = p.startPipeWire(t, env)
	default:
		t.Fatalf("unknown sound server %q", server)
	}
	deadline := time.Now().Add(HangGuard)
	for {
		if err := p.Run(t, "pactl", "info"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			var all strings.Builder
			for _, l := range logs {
				all.WriteString(l.String())
			}
			t.Fatalf("hang guard (%v): %s did not start: %s", HangGuard, server, all.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if server == PipeWire {
		for _, l := range strings.Split(strings.TrimSpace(pulseSinks), "\n") {
			p.setUp(t, strings.Fields(l))
		}
	}
	ALSAEnv(t, PulseDevices)
	t.Setenv("PULSE_SERVER", p.Addr)
	// 20 ms (the recipes' value for paplay) leaves PortAudio's ALSA
	// playback waiting on the pulse plugin's poll for seconds at a time;
	// 60 ms runs steadily once the stream has started.
	t.Setenv("PULSE_LATENCY_MSEC", "60")
	return p
}

func (p *Server) startPulseAudio(t testing.TB, env []string) []*syncWriter {
	t.Helper()
	NeedTool(t, "pulseaudio")
	if err := os.WriteFile(filepath.Join(p.Dir, "test.pa"), []byte(strings.ReplaceAll(pulseConfig, "DIR", p.Dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		// PulseAudio refuses to run as root outside system mode.
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Skipf("SKIP: running as root and there is no user nobody for PulseAudio: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		filepath.Walk(p.Dir, func(path string, _ os.FileInfo, _ error) error { return os.Chown(path, uid, gid) })
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	p.Addr = "unix:" + p.Dir + "/run/native"
	return []*syncWriter{startDaemon(t, env, cred, "pulseaudio", "-n", "-F", filepath.Join(p.Dir, "test.pa"), "--daemonize=no",
		"--exit-idle-time=-1", "--use-pid-file=no", "--disable-shm=yes", "--system=no",
		"--realtime=no", "--high-priority=no", "--log-target=stderr", "--log-level=error")}
}

// startPipeWire starts pipewire, wireplumber (which links streams to
// sinks) and pipewire-pulse. wireplumber exits without a session bus, and
// CI has none: a private dbus-daemon gives it one.
func (p *Server) startPipeWire(t testing.TB, env []string) []*syncWriter {
	t.Helper()
	NeedTool(t, "pipewire", "wireplumber", "pipewire-pulse", "dbus-daemon")
	bus := filepath.Join(p.Dir, "run", "bus")
	logs := []*syncWriter{startDaemon(t, env, nil, "dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=unix:path="+bus)}
	waitForSocket(t, bus, logs[0])
	env = append(env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+bus)
	logs = append(logs, startDaemon(t, env, nil, "pipewire"))
	waitForSocket(t, filepath.Join(p.Dir, "run", "pipewire-0"), logs[1])
	logs = append(logs, startDaemon(t, env, nil, "wireplumber"), startDaemon(t, env, nil, "pipewire-pulse"))
	p.Addr = "unix:" + p.Dir + "/run/pulse/native"
	return logs
}

func waitForSocket(t testing.TB, path string, log *syncWriter) {
	t.Helper()
	deadline := time.Now().Add(HangGuard)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hang guard (%v): no socket %s: %s", HangGuard, path, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startDaemon starts a server in a process group of its own; when the
// test ends it is stopped (SIGTERM, then SIGKILL after 3 s) and the test
// fails if any process of its group is left.
func startDaemon(t testing.TB, env []string, cred *syscall.Credential, name string, args ...string) *syncWriter {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	// Pdeathsig: a test binary that dies without its cleanups (a fatal
	// error, -timeout's panic) takes its servers with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred, Pdeathsig: syscall.SIGKILL}
	log := &syncWriter{}
	cmd.Stderr, cmd.Stdout = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if out, err := exec.Command("pgrep", "-g", strconv.Itoa(cmd.Process.Pid)).Output(); err == nil {
			t.Errorf("%s left processes behind: %s", name, out)
		}
	})
	return log
}

// processesWithEnv lists the processes (pid and command line) whose
// environment holds the variable assignment kv.
func processesWithEnv(kv string) []string {
	var found []string
	envs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, f := range envs {
		b, err := os.ReadFile(f)
		if err != nil || !slices.Contains(strings.Split(string(b), "\x00"), kv) {
			continue
		}
		pidDir := filepath.Dir(f)
		cmdline, _ := os.ReadFile(filepath.Join(pidDir, "cmdline"))
		found = append(found, filepath.Base(pidDir)+" "+strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " "))
	}
	return found
}

// syncWriter is a daemon's log, read by the test while the daemon writes.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *syncWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(b)
}

// Env is the environment of a client of this server.
func (p *Server) Env() []string {
	return append(os.Environ(), "PULSE_SERVER="+p.Addr)
}

// Command runs a PulseAudio tool against this server, with its output.
func (p *Server) Command(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = p.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %v: %v: %s", name, args, err, out)
	}
	return string(out), nil
}

// Run runs a tool against this server.
func (p *Server) Run(t testing.TB, name string, args ...string) error {
	_, err := p.Command(name, args...)
	return err
}

// Output runs a tool against this server and returns its output; a
// failure fails the test.
func (p *Server) Output(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := p.Command(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// setUp runs one pactl line of the set-up on PipeWire. A sink just
// loaded is not yet a node wireplumber has linked, and pipewire-pulse
// answers "Not supported" to making it the default for a moment: such a
// line is tried again for up to 2 s.
func (p *Server) setUp(t testing.TB, args []string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, err := p.Command("pactl", args...)
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "Not supported") || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Feed plays pcm (S16 mono at rate) into a sink with pacat, paced by the
// server, until the test ends.
func (p *Server) Feed(t testing.TB, sink string, pcm []int16, rate int) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "feed.raw")
	WriteRaw(t, f, pcm)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "pacat", "-p", "--raw", "--latency-msec=20", "--format=s16le", "--channels=1",
		fmt.Sprintf("--rate=%d", rate), "-d", sink, f)
	cmd.Env = p.Env()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
}

// Record records a sink's monitor as raw S16 mono at rate until stop is
// called, which returns the samples.
func (p *Server) Record(t testing.TB, sink string, rate int) (stop func() []int16) {
	t.Helper()
	return p.RecordChannels(t, sink, rate, 1)
}

// RecordChannels is Record with the sink's monitor in channels channels,
// interleaved: one recording, so one clock, for what two clients play
// into two channels of one sink.
func (p *Server) RecordChannels(t testing.TB, sink string, rate, channels int) (stop func() []int16) {
	t.Helper()
	f := filepath.Join(t.TempDir(), sink+".raw")
	cmd := exec.Command("parecord", "--latency-msec=20", "-d", sink+".monitor", "--rate="+strconv.Itoa(rate),
		"--channels="+strconv.Itoa(channels), "--format=s16le", "--raw", f)
	cmd.Env = p.Env()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return func() []int16 {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		return ReadRaw(t, f)
	}
}

// ReadRaw reads raw S16LE samples.
func ReadRaw(t testing.TB, path string) []int16 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
	}
	return out
}

// WriteRaw writes raw S16LE samples.
func WriteRaw(t testing.TB, path string, pcm []int16) {
	t.Helper()
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		b[2*i], b[2*i+1] = byte(v), byte(uint16(v)>>8)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// UnloadSink removes a null sink, as if its device were unplugged.
func (p *Server) UnloadSink(t testing.TB, name string) {
	for _, l := range strings.Split(p.Output(t, "pactl", "list", "short", "modules"), "\n") {
		if strings.Contains(l, "sink_name="+name+" ") {
			p.Output(t, "pactl", "unload-module", strings.Fields(l)[0])
			return
		}
	}
	t.Fatalf("no sink %s", name)
}

// KillSourceOutputs makes every capture stream fail as a yanked USB
// device does: the server drops it. pipewire-pulse 0.3.65 refuses
// kill-source-output; destroying the stream's PipeWire node does the same.
func (p *Server) KillSourceOutputs(t testing.TB) {
	t.Helper()
	if p.Kind != PipeWire {
		for _, l := range strings.Split(strings.TrimSpace(p.Output(t, "pactl", "list", "short", "source-outputs")), "\n") {
			if f := strings.Fields(l); len(f) > 0 {
				p.Run(t, "pactl", "kill-source-output", f[0])
			}
		}
		return
	}
	for _, l := range strings.Split(p.Output(t, "pactl", "list", "source-outputs"), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), " = ")
		if !ok || k != "object.id" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		cmd := exec.CommandContext(ctx, "pw-cli", "destroy", strings.Trim(v, `"`))
		cmd.Env = append(p.Env(), "XDG_RUNTIME_DIR="+p.Dir+"/run")
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("pw-cli destroy %s: %v: %s", v, err, out)
		}
	}
}
