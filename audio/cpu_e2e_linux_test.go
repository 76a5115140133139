//go:build linux

package audio

import (
	"context"
	"math"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestPulseStreamCPU measures what a call's audio costs this process on a
// paced device: capture and playback at 8 kHz in 20 ms frames for 10 s,
// on the PulseAudio backend and on PortAudio (through ALSA's pulse
// plugin, when the build has it), on both servers. It logs, never
// asserts; BENCHMARKS.md quotes it. Run with BPCLIENT_AUDIO_CPU=1.
func TestPulseStreamCPU(t *testing.T) {
	if os.Getenv("BPCLIENT_AUDIO_CPU") != "1" {
		t.Skip("set BPCLIENT_AUDIO_CPU=1 to measure")
	}
	forEachSoundServer(t, func(t *testing.T, server string) {
		for _, backend := range []string{BackendPulse, BackendPortAudio} {
			t.Run(backend, func(t *testing.T) {
				if backend == BackendPortAudio && !portAudioAvailable {
					t.Skip("SKIP: this build has no PortAudio")
				}
				pulseStreamCPU(t, server, backend)
			})
		}
	})
}

func pulseStreamCPU(t *testing.T, server, backend string) {
	p := startPulse(t, server)
	var ph float64
	p.Feed(t, "mic", sine(1000, 8000, 8000*30, 0.5, &ph), 8000)
	t.Setenv(BackendEnv, backend)
	sys := openSystem(t)
	headset := "ALSA:headset#0"
	if backend == BackendPulse {
		headset = pulseID("headset")
	}
	c, err := sys.OpenCapture("", f8k20, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := sys.OpenPlayback(headset, f8k20, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Two loops as in a call: capture → (RTP sender), and (jitter
	// buffer) → playback of a tone.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ph float64
		fr := make([]int16, 160)
		for ctx.Err() == nil {
			for i := range fr {
				fr[i] = int16(8000 * math.Sin(ph))
				ph += 2 * math.Pi * 1000 / 8000
			}
			if _, err := pb.WritePCM(fr); err != nil {
				return
			}
		}
	}()
	buf := make([]int16, 160)
	loop := func(d time.Duration) {
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			if _, err := c.ReadPCM(buf); err != nil {
				t.Fatal(err)
			}
		}
	}
	loop(3 * time.Second) // past PulseAudio's slow start
	var r0, r1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	w0 := time.Now()
	loop(10 * time.Second)
	syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	wall := time.Since(w0)
	cpu := time.Duration(r1.Utime.Nano()-r0.Utime.Nano()) + time.Duration(r1.Stime.Nano()-r0.Stime.Nano())
	t.Logf("capture+playback 8 kHz/20 ms, %s backend on %s: %v CPU over %v = %.2f ms CPU per second of audio (%.2f%% of a core); capture %+v; playback %+v",
		backend, server, cpu, wall.Round(time.Millisecond), float64(cpu.Microseconds())/wall.Seconds()/1000, 100*cpu.Seconds()/wall.Seconds(), c.Stats(), pb.Stats())
}
