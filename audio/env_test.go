//go:build linux

package audio

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These helpers give PortAudio real devices on a machine without a sound
// card (see the shared recipes): ALSA file devices (bit-exact, unpaced)
// and a private PulseAudio (paced like a sound card).

func needTool(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("SKIP: %s is not installed (scripts/deps.sh installs it)", n)
		}
	}
}

// alsaEnv points ALSA at a config of our own; PortAudio must be opened
// after it.
func alsaEnv(t testing.TB, conf string) string {
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

// fileDevices is an ALSA config with a capture device reading raw S16 from
// DIR/in.s16 and two playback devices writing DIR/out1.wav, DIR/out2.wav.
const fileDevices = `
pcm.!default { type asym playback.pcm "sipplay1" capture.pcm "sipcap" }
ctl.!default { type null }
pcm.sipcap { type file slave.pcm "sipnull" file "/dev/null" infile "DIR/in.s16" format "raw" }
pcm.sipplay1 { type file slave.pcm "sipnull" file "DIR/out1.wav" format "wav" }
pcm.sipplay2 { type file slave.pcm "sipnull" file "DIR/out2.wav" format "wav" }
pcm.sipnull { type null }
`

type pulse struct {
	dir    string
	server string
	cmd    *exec.Cmd
}

// pulseDevices routes ALSA to the private PulseAudio: the default PCM and
// one PCM per sink, so PortAudio lists each as a device.
const pulseDevices = `
pcm.!default { type pulse }
ctl.!default { type pulse }
pcm.spk { type pulse device "spk" }
pcm.ring1 { type pulse device "ring1" }
pcm.ring2 { type pulse device "ring2" }
pcm.headset { type pulse device "headset" }
pcm.micin { type pulse device "mic.monitor" }
pcm.hsin { type pulse device "headset.monitor" }
`

const pulseConfig = `
load-module module-native-protocol-unix auth-anonymous=1 socket=DIR/run/native
load-module module-null-sink sink_name=spk rate=48000 channels=1 sink_properties=device.description=TestSpeaker
load-module module-null-sink sink_name=mic rate=48000 channels=1 sink_properties=device.description=TestMicFeed
load-module module-null-sink sink_name=ring1 rate=48000 channels=1
load-module module-null-sink sink_name=ring2 rate=48000 channels=1
load-module module-null-sink sink_name=headset rate=48000 channels=1
set-default-sink spk
set-default-source mic.monitor
`

// startPulse starts a private PulseAudio with its own runtime dir and
// points ALSA (and so PortAudio) at it. It is stopped when the test ends.
func startPulse(t testing.TB) *pulse {
	t.Helper()
	needTool(t, "pulseaudio", "pactl", "paplay", "parecord")
	dir, err := os.MkdirTemp("", "bpclient-pulse-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"run", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "test.pa"), []byte(strings.ReplaceAll(pulseConfig, "DIR", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("pulseaudio", "-n", "-F", filepath.Join(dir, "test.pa"), "--daemonize=no",
		"--exit-idle-time=-1", "--use-pid-file=no", "--disable-shm=yes", "--system=no",
		"--realtime=no", "--high-priority=no", "--log-target=stderr", "--log-level=error")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir + "/home", "XDG_RUNTIME_DIR=" + dir + "/run",
		"XDG_CONFIG_HOME=" + dir + "/home/.config"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Getuid() == 0 {
		// PulseAudio refuses to run as root outside system mode.
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Skipf("SKIP: running as root and there is no user nobody for PulseAudio: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, d := range []string{dir, dir + "/run", dir + "/home"} {
			os.Chown(d, uid, gid)
		}
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	var logBuf strings.Builder
	cmd.Stderr, cmd.Stdout = &logBuf, &logBuf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pulseaudio: %v", err)
	}
	p := &pulse{dir: dir, server: "unix:" + dir + "/run/native", cmd: cmd}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(hangGuard)
	for {
		if err := p.run(t, "pactl", "info"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hang guard (%v): pulseaudio did not start: %s", hangGuard, logBuf.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	alsaEnv(t, pulseDevices)
	t.Setenv("PULSE_SERVER", p.server)
	// 20 ms (the recipes' value for paplay) leaves PortAudio's ALSA
	// playback waiting on the pulse plugin's poll for seconds at a time;
	// 60 ms runs steadily once the stream has started.
	t.Setenv("PULSE_LATENCY_MSEC", "60")
	return p
}

func (p *pulse) env() []string {
	return append(os.Environ(), "PULSE_SERVER="+p.server)
}

// command runs a PulseAudio tool against this server, with its output.
func (p *pulse) command(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = p.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %v: %v: %s", name, args, err, out)
	}
	return string(out), nil
}

func (p *pulse) run(t testing.TB, name string, args ...string) error {
	_, err := p.command(name, args...)
	return err
}

func (p *pulse) output(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := p.command(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// record records a sink's monitor as raw S16 mono at rate until stop is
// called, which returns the samples.
func (p *pulse) record(t testing.TB, sink string, rate int) (stop func() []int16) {
	t.Helper()
	f := filepath.Join(t.TempDir(), sink+".raw")
	cmd := exec.Command("parecord", "--latency-msec=20", "-d", sink+".monitor", "--rate="+strconv.Itoa(rate),
		"--channels=1", "--format=s16le", "--raw", f)
	cmd.Env = p.env()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return func() []int16 {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		return readRaw(t, f)
	}
}

func readRaw(t testing.TB, path string) []int16 {
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

func writeRaw(t testing.TB, path string, pcm []int16) {
	t.Helper()
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		b[2*i], b[2*i+1] = byte(v), byte(uint16(v)>>8)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// unloadSink removes a null sink, as if its device were unplugged.
func (p *pulse) unloadSink(t testing.TB, name string) {
	for _, l := range strings.Split(p.output(t, "pactl", "list", "short", "modules"), "\n") {
		if strings.Contains(l, "sink_name="+name+" ") {
			p.output(t, "pactl", "unload-module", strings.Fields(l)[0])
			return
		}
	}
	t.Fatalf("no sink %s", name)
}

func execCmd(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, name, args...)
}

// openSystem opens PortAudio in the test's environment and closes it when
// the test ends.
func openSystem(t testing.TB) *System {
	t.Helper()
	sys, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	return sys
}
