package sip_test

import (
	"context"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/procstat"
	"github.com/openbpclient/bpclient/sip"
)

// TestSoftphoneNumbers measures what BENCHMARKS.md reports for one call
// between bpclient and baresip through Kamailio: CPU per call-minute and
// peak RSS of each side, setup time from dial to connected, and the delay
// our side adds. It only runs with BPCLIENT_SOFTPHONE_BENCH=1
// (scripts/bench.sh); numbers are printed, never asserted.
func TestSoftphoneNumbers(t *testing.T) {
	if os.Getenv("BPCLIENT_SOFTPHONE_BENCH") == "" {
		t.Skip("set BPCLIENT_SOFTPHONE_BENCH=1 (scripts/bench.sh)")
	}
	callFor := 60 * time.Second
	if v, err := time.ParseDuration(os.Getenv("BPCLIENT_SOFTPHONE_CALL")); err == nil {
		callFor = v
	}
	pe := setupCallFor(t, []string{"PCMU"}, []string{"pcmu"}, "auto", callFor+time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), callFor+2*time.Minute)
	defer cancel()

	// Setup time: 10 short calls, dial → connected (INVITE, 407, INVITE
	// with credentials, 100, 180, 200, ACK through Kamailio).
	var setups []time.Duration
	for i := 0; i < 10; i++ {
		t0 := time.Now()
		c, err := pe.phone.Dial(ctx, "1002")
		if err != nil {
			t.Fatal(err)
		}
		pe.ev.waitCall(t, sip.StateConnected)
		setups = append(setups, time.Since(t0))
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		pe.ev.waitCall(t, sip.StateEnded)
	}
	slices.Sort(setups)

	// One long call: CPU and memory of each side.
	c, err := pe.phone.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateConnected)
	time.Sleep(time.Second)
	ourCPU0, theirCPU0 := selfCPU(), procCPU(t, pe.b.Pid())
	time.Sleep(callFor)
	ourCPU, theirCPU := selfCPU()-ourCPU0, procCPU(t, pe.b.Pid())-theirCPU0
	if st := c.State(); st.State != sip.StateConnected {
		t.Fatalf("the call did not last: %+v", st)
	}
	ms := c.MediaStats()
	q, _ := c.Quality()
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	perMin := func(d time.Duration) float64 { return d.Seconds() * float64(time.Minute) / float64(callFor) }
	t.Logf("call of %v, PCMU, 20 ms frames, loopback", callFor)
	t.Logf("setup dial→connected: median %v, min %v, max %v (10 calls)", setups[5].Round(100*time.Microsecond),
		setups[0].Round(100*time.Microsecond), setups[9].Round(100*time.Microsecond))
	t.Logf("CPU per call-minute: bpclient %.3f s, baresip %.3f s", perMin(ourCPU), perMin(theirCPU))
	t.Logf("peak RSS: bpclient (whole test process) %s, baresip %s", procstat.Status(os.Getpid(), "VmHWM"), procstat.Status(pe.b.Pid(), "VmHWM"))
	t.Logf("added delay mic→wire: %v + 20 ms framing; wire→speaker (jitter buffer + playout clock): %v", ms.SendDelay.Round(time.Microsecond), ms.PlayoutDelay.Round(100*time.Microsecond))
	t.Logf("played %d, concealed %d, late %d, dropped %d; jitter buffer target %d frames; quality %+v", ms.Played, ms.Concealed, ms.Late, ms.Dropped, ms.JitterBufferFrames, q)
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the CPU a process used itself.
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	own, _, err := procstat.CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	return own
}
