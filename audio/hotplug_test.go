package audio

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestWatcherProbe: with a probe, the poll enumerates only when the
// signature changes or cannot be trusted, and again after Refresh.
func TestWatcherProbe(t *testing.T) {
	var (
		mu    sync.Mutex
		sig   = "a"
		ok    = true
		enums int
	)
	probes := make(chan struct{}, 100)
	listed := make(chan int, 100)
	w := &Watcher{
		Interval: time.Millisecond,
		Refresh:  time.Hour,
		Probe: func() ([]byte, bool) {
			mu.Lock()
			defer mu.Unlock()
			select {
			case probes <- struct{}{}:
			default:
			}
			return []byte(sig), ok
		},
		Enumerate: func(ctx context.Context) (DeviceList, error) {
			mu.Lock()
			defer mu.Unlock()
			enums++
			listed <- enums
			return DeviceList{}, nil
		},
		OnChange: func(DeviceList) {},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wait := func(what string) {
		t.Helper()
		recv(t, listed, "no enumeration "+what)
	}
	waitProbes := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			recv(t, probes, "the watcher stopped probing")
		}
	}
	wait("at start")
	waitProbes(20)
	mu.Lock()
	if enums != 1 {
		t.Errorf("%d enumerations while the signature stayed the same, want 1", enums)
	}
	sig = "b"
	mu.Unlock()
	wait("after the signature changed")
	waitProbes(20)
	mu.Lock()
	if enums != 2 {
		t.Errorf("%d enumerations, want 2", enums)
	}
	ok = false // the probe cannot see every change: poll as without it
	mu.Unlock()
	wait("with an untrustworthy signature")
	wait("at the next poll")
}

// BenchmarkDeviceSignature is what the Linux poll costs every 1.5 s
// instead of a child's enumeration (BENCHMARKS.md).
func BenchmarkDeviceSignature(b *testing.B) {
	probe := NewDeviceProbe()
	if probe == nil {
		b.Skip("no device probe on this OS: the poll enumerates")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		probe()
	}
}
