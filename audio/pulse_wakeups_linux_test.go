//go:build linux

package audio

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pulseWakeupsPerFrame bounds the process's thread wake-ups (voluntary
// context switches) per 20 ms frame of a call's device side: the
// connection's reader woken by the capture packet and the playback
// request (one or two wake-ups, as the server sends them), the capture
// reader it hands the frame to, the turn's own wake-up (a timerfd, as
// the media's), and threads the scheduler wakes to share the work:
// 6.3-6.6 measured. Before the socket's I/O was raw, each ordinary read
// and write woke the runtime's monitor thread, which then polled every
// 20 µs: 11.9-12.8 per frame in this test.
const pulseWakeupsPerFrame = 9

// rawTimer is the media's frame clock (sip/media, clock_linux.go) for a
// test: a timerfd in the runtime's poller read with RawSyscall, which
// costs the waiting goroutine's wake-up and nothing else (a Go timer
// would wake the runtime's monitor thread as well).
type rawTimer struct {
	rc   syscall.RawConn
	buf  [8]byte
	read func(fd uintptr) bool
}

func newRawTimer(t *testing.T, d time.Duration) *rawTimer {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	spec := unix.ItimerSpec{Interval: unix.NsecToTimespec(int64(d)), Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(fd, 0, &spec, nil); err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "frames")
	t.Cleanup(func() { f.Close() })
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	r := &rawTimer{rc: rc}
	r.read = func(fd uintptr) bool {
		_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&r.buf[0])), uintptr(len(r.buf)))
		return e != unix.EAGAIN
	}
	return r
}

func (r *rawTimer) wait(t *testing.T) {
	if err := r.rc.Read(r.read); err != nil {
		t.Fatal(err)
	}
}

// TestPulseCallDevicePathWakeups drives a capture and a playback stream
// on the PulseAudio backend as a call does (the microphone pump's
// goroutine reading, the media's 20 ms turn queueing the speaker's frame)
// for 3 s on each server, and counts the whole test process's thread
// wake-ups. They are a count of events, not of time: a loaded machine
// preempts threads (involuntary switches, not counted) but does not make
// them sleep and wake more often.
func TestPulseCallDevicePathWakeups(t *testing.T) {
	forEachSoundServer(t, func(t *testing.T, server string) {
		p := startPulse(t, server)
		var ph float64
		p.Feed(t, "mic", sine(1000, 8000, 8000*30, 0.5, &ph), 8000)
		t.Setenv(BackendEnv, BackendPulse)
		sys := openSystem(t)
		c, err := sys.OpenCapture("", f8k20, StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pb, err := sys.OpenPlayback(pulseID("headset"), f8k20, StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// As in a call: the microphone pump's goroutine waits in ReadPCM
		// (helper/phoneapi), the media's turn queues the speaker's frame.
		var captured atomic.Int64
		var wg sync.WaitGroup
		defer wg.Wait()
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := make([]int16, 160)
			for {
				if _, err := c.ReadPCM(in); err != nil {
					return
				}
				captured.Add(1)
			}
		}()
		out := sine(1000, 8000, 160, 0.3, &ph)
		tick := newRawTimer(t, 20*time.Millisecond)
		turns := func(n int) int {
			before := captured.Load()
			for range n {
				tick.wait(t)
				if _, err := pb.QueuePCM(out); err != nil {
					t.Fatal(err)
				}
			}
			return int(captured.Load() - before)
		}
		// Past the streams' start (a PulseAudio null sink starts a new
		// playback stream after up to 2 s).
		for turns(50) < 45 {
		}
		var r0, r1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		const frames = 150
		got := turns(frames)
		syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		perFrame := float64(r1.Nvcsw-r0.Nvcsw) / frames
		t.Logf("%s: %.1f thread wake-ups per 20 ms frame (%d in %d frames; %d frames captured); capture %+v, playback %+v",
			server, perFrame, r1.Nvcsw-r0.Nvcsw, frames, got, c.Stats(), pb.Stats())
		if got < frames*8/10 {
			t.Fatalf("captured %d frames in %d turns: the device path did not run", got, frames)
		}
		if perFrame > pulseWakeupsPerFrame {
			t.Errorf("%.1f thread wake-ups per frame, want at most %d", perFrame, pulseWakeupsPerFrame)
		}
	})
}
