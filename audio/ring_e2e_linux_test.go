//go:build linux

package audio

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestPulseBackendRingTwoOutputsAndStop(t *testing.T) {
	forEachSoundServer(t, func(t *testing.T, server string) {
		t.Logf("Stop took %v", ringTwoOutputsAndStop(t, server, BackendPulse))
	})
}

// ringTwoOutputsAndStop rings on two outputs while a call plays on a
// third, stops the ringer and checks that each device played its tone. It
// returns how long Stop took: a number for TestPulseDeviceNumbers, never
// asserted.
func ringTwoOutputsAndStop(t *testing.T, server, backend string) time.Duration {
	p := startPulse(t, server)
	t.Setenv(BackendEnv, backend)
	sys := openSystem(t)
	id := func(sink string) string {
		if backend == BackendPulse {
			return pulseID(sink)
		}
		return DeviceID("ALSA", sink, 0)
	}
	stop1 := p.Record(t, "ring1", 8000)
	stop2 := p.Record(t, "ring2", 8000)
	stopHS := p.Record(t, "headset", 8000)
	// Call audio on the headset at the same time: 400 Hz.
	call, err := sys.OpenPlayback(id("headset"), f8k20, StreamOptions{Name: "call"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ph float64
		for ctx.Err() == nil {
			if _, err := call.WritePCM(sine(400, 8000, 160, 0.3, &ph)); err != nil {
				return
			}
		}
	}()
	var ph float64
	r := NewRinger(sys)
	opened, err := r.Start([]string{id("ring1"), id("ring2")}, sine(1000, 48000, 48000, 0.5, &ph), 48000, true)
	if err != nil || len(opened) != 2 {
		t.Fatalf("ringer opened %v: %v", opened, err)
	}
	time.Sleep(3500 * time.Millisecond) // PulseAudio takes up to 2 s to start a new stream
	// How fast Stop is (the 50 ms) is measured by
	// TestPulseDeviceNumbers (BENCHMARKS.md); that it aborts every device
	// at once rather than in turn, TestRingerStopsAllAtOnce asserts. Here
	// the guard only tells a Stop that returns from one that hangs.
	stopped := make(chan time.Duration, 1)
	go func() {
		t0 := time.Now()
		r.Stop()
		stopped <- time.Since(t0)
	}()
	var stopTook time.Duration
	select {
	case stopTook = <-stopped:
	case <-time.After(hangGuard):
		t.Fatalf("hang guard (%v): the ringer's Stop hangs on the devices", hangGuard)
	}
	cancel()
	call.Close()
	wg.Wait()
	time.Sleep(200 * time.Millisecond)
	rec1, rec2, recHS := stop1(), stop2(), stopHS()
	if r.Ringing() {
		t.Error("still ringing after Stop")
	}
	for name, rec := range map[string][]int16{"ring1": rec1, "ring2": rec2} {
		checkTone(t, name, loud(rec, 160), 8000, 1000)
	}
	checkTone(t, "headset", loud(recHS, 160), 8000, 400)
	return stopTook
}
