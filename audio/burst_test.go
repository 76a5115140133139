package audio

import (
	"testing"
	"time"
)

// TestCaptureKeepsABurstForAWaitingReader: a device that hands over three
// frames in a row (PipeWire's pulse server every 60 ms) while the reader
// waits loses none of them; the old two-frame queue dropped the first.
// A reader that is late still gets only the newest (TestCaptureDropsOldestAndCounts).
func TestCaptureKeepsABurstForAWaitingReader(t *testing.T) {
	sys, fb := fakeSystem(t)
	c, err := sys.OpenCapture("", f8k20, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fs := fb.last()
	frames := make(chan int16, 16)
	go func() {
		buf := make([]int16, 160)
		for {
			if _, err := c.ReadPCM(buf); err != nil {
				close(frames)
				return
			}
			frames <- buf[0]
		}
	}()
	buf := make([]int16, 160)
	next := int16(0)
	for burst := range 4 {
		waitReader(t, c)
		for range 3 {
			for j := range buf {
				buf[j] = next
			}
			next++
			fs.cb(buf)
		}
		for i := range 3 {
			want := int16(burst*3 + i)
			if got := recv(t, frames, "frame of the burst"); got != want {
				t.Fatalf("burst %d: frame %d, want %d (stats %+v)", burst, got, want, c.Stats())
			}
		}
	}
	if st := c.Stats(); st.Overruns != 0 {
		t.Fatalf("stats %+v: a waiting reader lost frames", st)
	}
	c.Close()
}

// waitReader waits until a reader is blocked in c's ReadPCM.
func waitReader(t *testing.T, c *Capture) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		c.mu.Lock()
		w := c.waiting
		c.mu.Unlock()
		if w > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hang guard (%v): no reader waits", hangGuard)
		}
		time.Sleep(time.Millisecond)
	}
}
