package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These benchmarks drive the real binaries as a browser does. Run them
// with scripts/bench.sh; the numbers go to BENCHMARKS.md.

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// rssKB reads a process's resident set from /proc (Linux).
func rssKB(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

// startedAgent starts a host once so that an agent runs, and returns its pid.
func startedAgent(tb testing.TB, w *world) int {
	h := w.startHost(tb, w.bins.Host, origin)
	h.send(`{"jsonrpc":"2.0","id":1,"method":"helper.hello"}`)
	h.answer("1")
	h.send(`{"jsonrpc":"2.0","id":2,"method":"helper.status"}`)
	m := h.answer("2")
	h.closeAndWait()
	var pid int
	fmt.Sscanf(string(m.Result[strings.Index(string(m.Result), `"pid":`)+6:]), "%d", &pid)
	return pid
}

func BenchmarkHostColdStartToHello(b *testing.B) {
	w := newWorld(b)
	startedAgent(b, w)
	var each []time.Duration
	var exits []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		h := w.startHost(b, w.bins.Host, origin)
		h.send(`{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{"client":"bench"}}`)
		h.answer("1")
		each = append(each, time.Since(start))
		took, _ := h.closeAndWait()
		exits = append(exits, took)
	}
	b.StopTimer()
	b.ReportMetric(float64(median(each).Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(median(exits).Microseconds())/1000, "exit-after-eof-median-ms")
}

func BenchmarkRoundTripThroughHost(b *testing.B) {
	w := newWorld(b)
	h := w.startHost(b, w.bins.Host, origin)
	h.send(`{"jsonrpc":"2.0","id":0,"method":"helper.hello"}`)
	h.answer("0")
	each := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		id := strconv.Itoa(i)
		start := time.Now()
		h.send(`{"jsonrpc":"2.0","id":` + id + `,"method":"helper.ping"}`)
		h.answer(id)
		each = append(each, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64(median(each).Nanoseconds())/1e6, "median-ms")
	if rss, err := rssKB(h.cmd.Process.Pid); err == nil {
		b.ReportMetric(rss/1024, "host-rss-MB")
	}
}

// Many requests in flight at once: how many small messages per second the
// relay and agent carry.
func BenchmarkRelayThroughput(b *testing.B) {
	w := newWorld(b)
	h := w.startHost(b, w.bins.Host, origin)
	h.send(`{"jsonrpc":"2.0","id":0,"method":"helper.hello"}`)
	h.answer("0")
	b.ResetTimer()
	start := time.Now()
	go func() {
		for i := 1; i <= b.N; i++ {
			h.send(`{"jsonrpc":"2.0","id":` + strconv.Itoa(i) + `,"method":"helper.ping"}`)
		}
	}()
	h.answer(strconv.Itoa(b.N))
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

func BenchmarkAgentIdleRSS(b *testing.B) {
	w := newWorld(b)
	pid := startedAgent(b, w)
	time.Sleep(500 * time.Millisecond) // let start-up garbage be collected
	var rss float64
	for i := 0; i < b.N; i++ {
		var err error
		if rss, err = rssKB(pid); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(rss/1024, "agent-rss-MB")
}
