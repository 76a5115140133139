//go:build linux

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/procstat"
	"github.com/openbpclient/bpclient/internal/siptest"
)

type softphoneWorld struct {
	env   *browsertest.Env
	bins  *browsertest.Binaries
	agent *browsertest.Agent
	k     *siptest.Kamailio
	b     *siptest.Baresip
}

// newSoftphoneWorld builds the real binaries, starts an agent in an
// isolated HOME, Kamailio, and baresip as 1002 (auto-answer) playing a
// 440 Hz tone for toneFor.
func newSoftphoneWorld(t *testing.T, toneFor time.Duration) *softphoneWorld {
	t.Helper()
	root := t.TempDir()
	env, err := browsertest.NewEnv(filepath.Join(root, "e"))
	if err != nil {
		t.Fatal(err)
	}
	bins, err := browsertest.BuildBinaries(context.Background(), filepath.Join(root, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	agent, err := browsertest.StartAgent(ctx, bins, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Stop() })
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	wav := filepath.Join(root, "tone.wav")
	f, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	if err := dsp.WriteWAV(f, 8000, 1, dsp.Sine(int(toneFor.Seconds()*8000), 440, 8000, 0.3)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(), Source: wav, Codecs: []string{"pcmu"}})
	return &softphoneWorld{env: env, bins: bins, agent: agent, k: k, b: b}
}

// call runs `bpclient call` against the running agent.
func (w *softphoneWorld) call(t *testing.T, d time.Duration, extra ...string) string {
	t.Helper()
	args := append([]string{"call", "--server", w.k.Addr(), "--domain", "127.0.0.1", "--username", "1001",
		"--password-env", "TEST_SIP_PW", "--codecs", "PCMU", "--for", d.String()}, extra...)
	args = append(args, "1002")
	cmd := exec.Command(w.bins.CLI, args...)
	cmd.Env = w.env.Environ("TEST_SIP_PW=secret1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("bpclient call: %v\n%s", err, out.String())
		}
	case <-time.After(d + 30*time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("bpclient call did not end:\n%s", out.String())
	}
	return out.String()
}

// TestCallCommandThroughAgent: `bpclient call` configures the running
// agent's phone, registers, calls baresip through Kamailio, prints state
// and quality, and hangs up; baresip heard the agent (silence: no sound
// card here, so the agent sends silence) and the log holds no password.
func TestCallCommandThroughAgent(t *testing.T) {
	w := newSoftphoneWorld(t, 20*time.Second)
	out := w.call(t, 6*time.Second)
	for _, want := range []string{"registration: registered", "connected (PCMU)", "quality: MOS", "ended (PCMU): local hangup"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !w.b.WaitLog("Call established", time.Second) {
		t.Errorf("baresip did not get the call")
	}
	log, err := os.ReadFile(w.env.LogFile())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(log, []byte("secret1")) {
		t.Errorf("BPClient.log contains the password")
	}
	if !bytes.Contains(log, []byte("call connected")) {
		t.Errorf("BPClient.log does not show the call:\n%s", log)
	}
}

// TestSoftphoneAgentNumbers measures the real agent during one call
// against baresip (BPCLIENT_SOFTPHONE_BENCH=1, scripts/bench.sh): CPU
// seconds per call-minute and peak RSS of both processes.
func TestSoftphoneAgentNumbers(t *testing.T) {
	if os.Getenv("BPCLIENT_SOFTPHONE_BENCH") == "" {
		t.Skip("set BPCLIENT_SOFTPHONE_BENCH=1 (scripts/bench.sh)")
	}
	callFor := 60 * time.Second
	if v, err := time.ParseDuration(os.Getenv("BPCLIENT_SOFTPHONE_CALL")); err == nil {
		callFor = v
	}
	w := newSoftphoneWorld(t, callFor+time.Minute)
	agentPid, barePid := w.agent.Cmd.Process.Pid, w.b.Pid()
	a0, ac0 := cpu(t, agentPid)
	b0, bc0 := cpu(t, barePid)
	aw0, bw0 := procSwitches(agentPid), procSwitches(barePid)
	t0 := time.Now()
	out := w.call(t, callFor)
	wall := time.Since(t0)
	a1, ac1 := cpu(t, agentPid)
	b1, bc1 := cpu(t, barePid)
	aw1, bw1 := procSwitches(agentPid), procSwitches(barePid)
	aSmaps, bSmaps := smapsRollup(agentPid), smapsRollup(barePid)
	perMin := func(d time.Duration) float64 { return d.Seconds() * 60 / callFor.Seconds() }
	t.Logf("call of %v (whole command %v), PCMU, real agent (no sound card: silence) vs baresip (aufile + paced null speaker)", callFor, wall.Round(time.Millisecond))
	// The agent's own CPU and that of the children it waited for (the
	// device poll's `bpclient devices --json`): both are the agent's cost.
	t.Logf("CPU per call-minute: agent %.3f s (itself %.3f s + children %.3f s), baresip %.3f s (children %.3f s)",
		perMin(a1-a0+ac1-ac0), perMin(a1-a0), perMin(ac1-ac0), perMin(b1-b0+bc1-bc0), perMin(bc1-bc0))
	t.Logf("context switches (wake-ups) per second: agent %.0f, baresip %.0f", float64(aw1-aw0)/wall.Seconds(), float64(bw1-bw0)/wall.Seconds())
	t.Logf("peak RSS: agent %s, baresip %s", procstat.Status(agentPid, "VmHWM"), procstat.Status(barePid, "VmHWM"))
	t.Logf("RSS now: agent %s, baresip %s", aSmaps, bSmaps)
	t.Logf("RSS by file: agent %s", rssByFile(agentPid))
	t.Logf("RSS by file: baresip %s", rssByFile(barePid))
	// Whether the agent started PortAudio (the call found devices, or the
	// watcher had no list yet) shows in its RSS; its log says why.
	if log, err := os.ReadFile(w.env.LogFile()); err == nil {
		for _, l := range strings.Split(string(log), "\n") {
			if strings.Contains(l, "audio") {
				t.Logf("agent log: %s", l)
			}
		}
	}
	if i := strings.Index(out, "connected"); i >= 0 {
		t.Logf("bpclient call output (setup includes registration):\n%s", out)
	}
}

// procSwitches sums the context switches of a process's threads (those
// alive now): each is a wake-up or a preemption.
func procSwitches(pid int) int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	n := 0
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				c, _ := strconv.Atoi(strings.TrimSpace(v))
				n += c
			}
		}
	}
	return n
}

// smapsRollup summarises where a process's resident memory is: anonymous
// (heap, stacks, the Go runtime's arenas) and file-backed pages (the
// executable and shared libraries), from /proc/PID/smaps_rollup.
func smapsRollup(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return "?"
	}
	kb := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			kb[strings.TrimSuffix(f[0], ":")], _ = strconv.Atoi(f[1])
		}
	}
	return fmt.Sprintf("Rss %d kB = anonymous %d kB + file-backed %d kB (of which shared with other processes %d kB)",
		kb["Rss"], kb["Anonymous"], kb["Rss"]-kb["Anonymous"], kb["Shared_Clean"]+kb["Shared_Dirty"])
}

// rssByFile lists where a process's resident memory is, by mapped file,
// largest first (the smaller ones summed as "others").
func rssByFile(pid int) string {
	rss, err := procstat.RSSByFile(pid)
	if err != nil {
		return err.Error()
	}
	var parts []string
	others := 0
	for i, r := range rss {
		if i < 10 {
			parts = append(parts, fmt.Sprintf("%s %d", r.Name, r.KB))
		} else {
			others += r.KB
		}
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(", others %d (kB)", others)
}

// cpu is the CPU of process pid and of the children it waited for.
func cpu(t *testing.T, pid int) (own, children time.Duration) {
	t.Helper()
	own, children, err := procstat.CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	return own, children
}
