package phoneapi

import "testing"

// TestMicPumpKeepsAFrameInHandAfterAnUnderrun: a device that delivers in
// bursts (three frames every 60 ms) must not leave a hole at every burst.
// After a read found nothing, the pump hands out the next frame only once
// a second waits behind it; DiscardPCM (the call connecting) drops what
// is queued and starts the same way.
func TestMicPumpKeepsAFrameInHandAfterAnUnderrun(t *testing.T) {
	m := &micPump{frame: 2}
	push := func(v int16) {
		m.mu.Lock()
		m.frames = append(m.frames, []int16{v, v})
		m.mu.Unlock()
	}
	read := func() int16 {
		buf := []int16{-1, -1}
		if n, err := m.ReadPCM(buf); n != 2 || err != nil {
			t.Fatalf("read %d, %v", n, err)
		}
		return buf[0]
	}
	push(1)
	push(2)
	m.DiscardPCM() // the call connects: 1 and 2 were captured before
	push(3)
	if v := read(); v != 0 {
		t.Fatalf("after the discard with one frame queued: %d, want silence (waiting for a second)", v)
	}
	push(4)
	for _, want := range []int16{3, 4, 0} {
		if v := read(); v != want {
			t.Fatalf("read %d, want %d", v, want)
		}
	}
	// Starved again: a burst of three comes.
	push(5)
	push(6)
	push(7)
	for _, want := range []int16{5, 6, 7} {
		if v := read(); v != want {
			t.Fatalf("burst: read %d, want %d", v, want)
		}
	}
}
