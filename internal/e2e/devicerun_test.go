//go:build linux

package e2e

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/internal/soundtest"
)

// The device benchmarks (BPCLIENT_DEVICE_BENCH=1, scripts/bench.sh): the
// real agent and baresip on the same real devices of a private
// PulseAudio and PipeWire, each run on fresh servers and peers.

// deviceBench is what every run of a device benchmark shares.
type deviceBench struct {
	bins    *browsertest.Binaries
	runs    int
	callFor time.Duration // TestDeviceCallNumbers' call
	clicks  int           // TestDeviceMouthToEar's clicks per call
	backend string        // BPCLIENT_AUDIO_BACKEND as the agent gets it, or "unset"
	// audio is the backend the last run's agent reported, for the
	// tables' headings.
	audio string
	// exemap, with BPCLIENT_DEVICE_BENCH_EXEMAP=1, is internal/cmd/exemap
	// built beside the agent: TestDeviceCallNumbers prints where the
	// agent's executable is resident near the end of each call.
	exemap string
}

// newDeviceBench skips unless BPCLIENT_DEVICE_BENCH is set, reads the
// runs and lengths from the environment, and builds the agent as
// scripts/release.sh builds it for Linux.
func newDeviceBench(t *testing.T) *deviceBench {
	t.Helper()
	if os.Getenv("BPCLIENT_DEVICE_BENCH") == "" {
		t.Skip("set BPCLIENT_DEVICE_BENCH=1 to measure the agent and baresip on real devices (scripts/bench.sh); " +
			"BPCLIENT_DEVICE_BENCH_RUNS, _CALL and _CLICKS shorten a try, _PULSE_LATENCY (ms or unset) overrides the tests' 60 ms, " +
			"_EXEMAP=1 maps the agent's resident executable by package near each call's end")
	}
	b := &deviceBench{runs: 3, callFor: 60 * time.Second, clicks: 10, backend: os.Getenv("BPCLIENT_AUDIO_BACKEND")}
	if n, err := strconv.Atoi(os.Getenv("BPCLIENT_DEVICE_BENCH_RUNS")); err == nil && n > 0 {
		b.runs = n
	}
	if d, err := time.ParseDuration(os.Getenv("BPCLIENT_DEVICE_BENCH_CALL")); err == nil && d > 0 {
		b.callFor = d
	}
	if n, err := strconv.Atoi(os.Getenv("BPCLIENT_DEVICE_BENCH_CLICKS")); err == nil && n > 0 {
		b.clicks = n
	}
	if b.backend == "" {
		b.backend = "unset"
	}
	releaseBuildEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bins, err := browsertest.BuildBinaries(ctx, filepath.Join(t.TempDir(), "bin"))
	if err != nil {
		t.Fatal(err)
	}
	checkReleaseLinking(t, bins.CLI)
	b.bins = bins
	if os.Getenv("BPCLIENT_DEVICE_BENCH_EXEMAP") != "" {
		b.exemap = filepath.Join(bins.Dir, "exemap")
		build := exec.CommandContext(ctx, "go", "build", "-o", b.exemap, "./internal/cmd/exemap")
		build.Dir = bins.Source
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build exemap: %v\n%s", err, out)
		}
	}
	return b
}

// releaseBuildEnv sets what scripts/release.sh builds the Linux agent
// with: -tags opus -trimpath (unless GOFLAGS says otherwise), and the
// static, ALSA-only PortAudio and libopus that scripts/audio-libs-env.sh
// puts first on PKG_CONFIG_PATH (sourced here, so that a plain go test
// measures what ships, as scripts/bench.sh does).
func releaseBuildEnv(t *testing.T) {
	t.Helper()
	if os.Getenv("GOFLAGS") == "" {
		t.Setenv("GOFLAGS", "-tags=opus -trimpath")
	}
	if strings.Contains(os.Getenv("PKG_CONFIG_PATH"), "audio-libs") {
		return // sourced already
	}
	root, err := browsertest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `. scripts/audio-libs-env.sh && printf '%s\n%s\n' "$PKG_CONFIG_PATH" "$CGO_CPPFLAGS"`)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/audio-libs-env.sh: %v", err)
	}
	vars := strings.SplitN(strings.TrimRight(string(out), "\n"), "\n", 2)
	t.Setenv("PKG_CONFIG_PATH", vars[0])
	if len(vars) == 2 {
		t.Setenv("CGO_CPPFLAGS", vars[1])
	}
}

// checkReleaseLinking fails when the agent links what the release's must
// not (the check of scripts/release.sh): numbers of another build would
// be labelled as the release's.
func checkReleaseLinking(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	notReleased := regexp.MustCompile(`portaudio|jack|stdc\+\+|asound`)
	for _, l := range libs {
		if notReleased.MatchString(l) {
			t.Fatalf("the agent links %s: not the release's build (scripts/audio-libs-env.sh could not give the static libraries?)", l)
		}
	}
	t.Logf("agent built with GOFLAGS=%q, links %s", os.Getenv("GOFLAGS"), strings.Join(libs, " "))
}

// deviceRun is one run's world: a private sound server, Kamailio, the
// callee (baresip 1002, auto-answer), the agent (1001) and baresip 1003
// as the other caller, both callers on the server's default devices.
type deviceRun struct {
	sound  *soundtest.Server
	phone  *softphoneWorld // the agent, Kamailio and the callee
	caller *siptest.Baresip
}

// startDeviceRun starts a run's world on a fresh sound server of kind;
// prepare runs once the server is up, before any client starts (devices,
// defaults, ALSA names for the callee's callee.Player and callee.Mic).
func (b *deviceBench) startDeviceRun(t *testing.T, kind string, callee siptest.BaresipOptions, prepare func(*soundtest.Server)) *deviceRun {
	t.Helper()
	sound := soundtest.Start(t, kind)
	// soundtest sets PULSE_LATENCY_MSEC=60 for every client (PortAudio's
	// ALSA playback stalls below); a desktop may have any value, or none.
	switch v := os.Getenv("BPCLIENT_DEVICE_BENCH_PULSE_LATENCY"); v {
	case "":
	case "unset":
		t.Setenv("PULSE_LATENCY_MSEC", "") // restored when the run ends
		os.Unsetenv("PULSE_LATENCY_MSEC")
	default:
		t.Setenv("PULSE_LATENCY_MSEC", v)
	}
	if prepare != nil {
		prepare(sound)
	}
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	callee.User, callee.Registrar, callee.Codecs = siptest.DefaultUsers[1], k.Addr(), []string{"pcmu"}
	far := siptest.StartBaresip(t, callee)
	caller := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[2], Registrar: k.Addr(),
		Codecs: []string{"pcmu"}, Player: "alsa,default", Mic: "alsa,default", NoRecord: true})
	env, err := browsertest.NewEnv(filepath.Join(t.TempDir(), "e"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	agent, err := browsertest.StartAgent(ctx, b.bins, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Stop() })
	r := &deviceRun{sound: sound, phone: &softphoneWorld{env: env, bins: b.bins, agent: agent, k: k, b: far}, caller: caller}
	line := r.audioLine(t)
	latency, set := os.LookupEnv("PULSE_LATENCY_MSEC")
	if !set {
		latency = "unset"
	}
	t.Logf("agent audio: %s; PULSE_LATENCY_MSEC=%s", line, latency)
	// "available: PortAudio V19.6.0-devel, revision …; host APIs: …"
	b.audio, _, _ = strings.Cut(strings.TrimPrefix(line, "available: "), ",")
	b.audio, _, _ = strings.Cut(b.audio, ";")
	return r
}

// heading names the agent's backend for a table: as the agent reported
// it, and how it was chosen.
func (b *deviceBench) heading() string {
	return fmt.Sprintf("agent audio %s (BPCLIENT_AUDIO_BACKEND=%s)", b.audio, b.backend)
}

// audioLine is the agent's `bpclient version --verbose` audio line in
// the run's environment: the backend the numbers are of.
func (r *deviceRun) audioLine(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(r.phone.bins.CLI, "version", "--verbose")
	cmd.Env = r.phone.env.Environ()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bpclient version --verbose: %v", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if a, ok := strings.CutPrefix(l, "audio: "); ok {
			return a
		}
	}
	return "?"
}

// baresipCall has the caller baresip call the callee for d (from its
// dial), or until ctx ends, then hang up.
func (r *deviceRun) baresipCall(ctx context.Context, d time.Duration) error {
	if _, err := r.caller.Command("dial", "sip:1002@"+r.phone.k.Addr()); err != nil {
		return fmt.Errorf("baresip dial: %w", err)
	}
	sleepCtx(ctx, d)
	if _, err := r.caller.Command("hangup", ""); err != nil {
		return fmt.Errorf("baresip hangup: %w", err)
	}
	return nil
}

// clientStreams counts the playback (sink-inputs) or capture
// (source-outputs) streams of each client process on the sound server.
func (r *deviceRun) clientStreams(kind string) map[int]int {
	out, err := r.sound.Command("pactl", "list", kind)
	n := map[int]int{}
	if err != nil {
		return n
	}
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "application.process.id = "); ok {
			pid, _ := strconv.Atoi(strings.Trim(v, `"`))
			n[pid]++
		}
	}
	return n
}

// loadAverage is the 1-minute load average now: other engineers' tests
// share the machine, and every number is printed with it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// sleepCtx waits for d or until ctx ends, and says whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}
