//go:build linux

package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/internal/procstat"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/internal/soundtest"
)

// micTone is what the sound server's microphone carries during the
// measured calls; the callee's recordings must hold it.
const micTone = 1000

// deviceCallNumbers is one process's cost in one run.
type deviceCallNumbers struct {
	cpuPerMin, ownPerMin, childPerMin float64 // seconds of CPU per call-minute
	wakeups                           float64 // context switches per second, mid-call
	hwmKB                             int     // VmHWM at the end
	rollup, byFile                    string  // where the RSS is, near the end of the call
}

// TestDeviceCallNumbers measures the real agent and baresip calling the
// same callee at the same time with the same real devices (the sound
// server's default source, fed with a tone, and default sink), on a
// private PulseAudio and a private PipeWire: CPU per call-minute (own +
// children), wake-ups per second, peak RSS and where it is. It asserts
// only that both calls really ran on the devices and carried the tone.
func TestDeviceCallNumbers(t *testing.T) {
	b := newDeviceBench(t)
	soundtest.ForEach(t, func(t *testing.T, kind string) {
		var rows []string
		for i := 1; i <= b.runs; i++ {
			t.Run(fmt.Sprintf("run%d", i), func(t *testing.T) { rows = append(rows, b.measureDeviceCall(t, kind, i)) })
		}
		fmt.Printf("\nDEVICE CALL NUMBERS %s, %s, %v PCMU calls (CPU s per call-minute, wake-ups/s, VmHWM MB with the resident split near the call's end)\n"+
			"| server | run | load 1 min (start–end) | agent CPU (own + children) | baresip CPU | agent wake-ups/s | baresip wake-ups/s | agent peak RSS | baresip peak RSS |\n"+
			"|---|---|---|---|---|---|---|---|---|\n%s\n", kind, b.heading(), b.callFor, strings.Join(rows, "\n"))
	})
}

// measureDeviceCall runs one pair of calls and returns its table row.
func (b *deviceBench) measureDeviceCall(t *testing.T, kind string, run int) string {
	wav := filepath.Join(t.TempDir(), "far.wav")
	f, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	if err := dsp.WriteWAV(f, 8000, 1, dsp.Sine(int((b.callFor+time.Minute).Seconds()*8000), 440, 8000, 0.3)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r := b.startDeviceRun(t, kind, siptest.BaresipOptions{Source: wav}, func(s *soundtest.Server) {
		s.Feed(t, "mic", dsp.Sine(int((b.callFor+2*time.Minute).Seconds()*8000), micTone, 8000, 0.3), 8000)
	})
	agentPid, barePid := r.phone.agent.Cmd.Process.Pid, r.caller.Pid()
	load0 := loadAverage()
	a0, ac0 := cpu(t, agentPid)
	b0, bc0 := cpu(t, barePid)

	// baresip's call, and the mid-call samples, run beside the agent's
	// `bpclient call`, which this goroutine waits for.
	// Both goroutines end with their calls, or when the test does.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	bareDone := make(chan error, 1)
	go func() { bareDone <- r.baresipCall(ctx, b.callFor) }()
	type midCall struct {
		wakeups                 [2]float64
		agentRollup, bareRollup string
		agentByFile, bareByFile string
		agentExemap             string
		playing, capturing      map[int]int
		sampleErr               string
	}
	mid := make(chan midCall, 1)
	go func() {
		// Thread switch counts are of live threads only (a closed
		// stream's threads take theirs along): both samples fall inside
		// the call, with the devices open.
		var m midCall
		first, last := 5*time.Second, b.callFor-2*time.Second
		if last <= first {
			m.sampleErr = fmt.Sprintf("call of %v too short to sample (needs more than 7 s)", b.callFor)
			mid <- m
			return
		}
		if !sleepCtx(ctx, first) {
			return
		}
		aw0, bw0, s0 := procSwitches(agentPid), procSwitches(barePid), time.Now()
		m.playing, m.capturing = r.clientStreams("sink-inputs"), r.clientStreams("source-outputs")
		if !sleepCtx(ctx, last-first) {
			return
		}
		aw1, bw1, s1 := procSwitches(agentPid), procSwitches(barePid), time.Since(s0)
		m.wakeups = [2]float64{float64(aw1-aw0) / s1.Seconds(), float64(bw1-bw0) / s1.Seconds()}
		m.agentRollup, m.bareRollup = smapsRollup(agentPid), smapsRollup(barePid)
		m.agentByFile, m.bareByFile = rssByFile(agentPid), rssByFile(barePid)
		if b.exemap != "" {
			// The agent is built unstripped (releaseBuildEnv): its own
			// symbols name its packages.
			out, err := exec.CommandContext(ctx, b.exemap, "-pid", fmt.Sprint(agentPid)).CombinedOutput()
			m.agentExemap = string(out)
			if err != nil {
				m.agentExemap += err.Error()
			}
		}
		mid <- m
	}()
	// The callee's recordings are named by the second their call started.
	time.Sleep(1200 * time.Millisecond)
	out := r.phone.call(t, b.callFor)
	if err := <-bareDone; err != nil {
		t.Fatal(err)
	}
	m := <-mid
	a1, ac1 := cpu(t, agentPid)
	b1, bc1 := cpu(t, barePid)
	load1 := loadAverage()
	if m.sampleErr != "" {
		t.Fatal(m.sampleErr)
	}
	if m.agentExemap != "" {
		fmt.Printf("\nEXEMAP %s run %d, the agent %v into a %v call:\n%s\n", kind, run, b.callFor-2*time.Second, b.callFor, m.agentExemap)
	}
	if !strings.Contains(out, "connected (PCMU)") || !r.caller.WaitLog("Call established", time.Second) {
		t.Fatalf("a call did not connect:\nagent: %s\nbaresip: %s", out, r.caller.Log())
	}
	// Both callers must have had the devices open: otherwise the agent
	// sends silence and the numbers are of nothing.
	for who, pid := range map[string]int{"agent": agentPid, "baresip": barePid} {
		if m.playing[pid] == 0 || m.capturing[pid] == 0 {
			t.Fatalf("%s had %d playback and %d capture streams on the sound server mid-call (want both)", who, m.playing[pid], m.capturing[pid])
		}
	}
	checkCalleeHeardTone(t, r.phone.b, 2)

	perMin := func(d time.Duration) float64 { return d.Seconds() * 60 / b.callFor.Seconds() }
	agent := deviceCallNumbers{cpuPerMin: perMin(a1 - a0 + ac1 - ac0), ownPerMin: perMin(a1 - a0), childPerMin: perMin(ac1 - ac0),
		wakeups: m.wakeups[0], hwmKB: hwmKB(agentPid), rollup: m.agentRollup, byFile: m.agentByFile}
	bare := deviceCallNumbers{cpuPerMin: perMin(b1 - b0 + bc1 - bc0), ownPerMin: perMin(b1 - b0), childPerMin: perMin(bc1 - bc0),
		wakeups: m.wakeups[1], hwmKB: hwmKB(barePid), rollup: m.bareRollup, byFile: m.bareByFile}
	for _, p := range []struct {
		who string
		n   deviceCallNumbers
	}{{"agent", agent}, {"baresip", bare}} {
		t.Logf("%s %s run %d: CPU %.3f s per call-minute (own %.3f + children %.3f), %.0f wake-ups/s, VmHWM %d kB",
			kind, p.who, run, p.n.cpuPerMin, p.n.ownPerMin, p.n.childPerMin, p.n.wakeups, p.n.hwmKB)
		t.Logf("%s %s RSS near the end of the call: %s", kind, p.who, p.n.rollup)
		t.Logf("%s %s RSS by file: %s", kind, p.who, p.n.byFile)
	}
	return fmt.Sprintf("| %s | %d | %s–%s | %.2f s (%.2f + %.2f) | %.2f s | %.0f | %.0f | %s | %s |",
		kind, run, load0, load1, agent.cpuPerMin, agent.ownPerMin, agent.childPerMin, bare.cpuPerMin,
		agent.wakeups, bare.wakeups, agent.peak(), bare.peak())
}

// peak is the peak RSS, with the split of the resident memory near the
// end of the call: "20.6 MB (anon 3.3 + file 16.6)".
func (n deviceCallNumbers) peak() string {
	var rss, anon, file int
	if _, err := fmt.Sscanf(n.rollup, "Rss %d kB = anonymous %d kB + file-backed %d kB", &rss, &anon, &file); err != nil {
		return fmt.Sprintf("%.1f MB", float64(n.hwmKB)/1024)
	}
	return fmt.Sprintf("%.1f MB (anon %.1f + file %.1f)", float64(n.hwmKB)/1024, float64(anon)/1024, float64(file)/1024)
}

// checkCalleeHeardTone checks the callee's recordings of the calls it
// received (want of them): each holds the microphone's tone.
func checkCalleeHeardTone(t *testing.T, callee *siptest.Baresip, want int) {
	t.Helper()
	_, dec := callee.Recordings()
	if len(dec) != want {
		t.Fatalf("the callee recorded %d calls, want %d: %v", len(dec), want, dec)
	}
	for _, p := range dec {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		w, err := dsp.ParseWAV(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		// The middle half: past the streams' start, before the hangup.
		pcm := w.Samples[len(w.Samples)/4 : 3*len(w.Samples)/4]
		if f := dsp.DominantFrequency(pcm, w.Rate); math.Abs(f-micTone) > 15 {
			t.Errorf("the callee heard %.0f Hz in %s, want the microphone's %d Hz", f, filepath.Base(p), micTone)
		}
	}
}

// hwmKB is a process's peak RSS (VmHWM) in kB.
func hwmKB(pid int) int {
	var kb int
	fmt.Sscanf(procstat.Status(pid, "VmHWM"), "%d", &kb)
	return kb
}
