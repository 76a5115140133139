package phoneapi

import "testing"

// TestMicPumpKeepsAFrameInHandAfterAnUnderrun: a device that delivers in
// bursts (three frames every 60 ms) must not leave a hole at every burst.
// After a read found nothing, the pump hands out the next frame only once
// a second waits behind it. DiscardPCM (the call connecting) drops the
// backlog but for the newest two frames, which go at once.
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
	for v := int16(1); v <= 5; v++ {
		push(v) // captured while the call rang, nobody reading
	}
	m.DiscardPCM() // the call connects: 1 to 3 go, 4 and 5 are the newest
	for _, want := range []int16{4, 5, 0} {
		if v := read(); v != want {
			t.Fatalf("after the discard: read %d, want %d", v, want)
		}
	}
	// Starved: one frame is not enough.
	push(6)
	if v := read(); v != 0 {
		t.Fatalf("starved with one frame queued: %d, want silence (waiting for a second)", v)
	}
	push(7)
	for _, want := range []int16{6, 7, 0} {
		if v := read(); v != want {
			t.Fatalf("read %d, want %d", v, want)
		}
	}
	// Starved again: a burst of three comes.
	push(8)
	push(9)
	push(10)
	for _, want := range []int16{8, 9, 10} {
		if v := read(); v != want {
			t.Fatalf("burst: read %d, want %d", v, want)
		}
	}
}

// TestMicPumpTrimsAStandingBacklog: a device faster than the call's clock
// (or a backlog left by a burst) leaves frames waiting at every read; after
// a second of that the pump drops all but two (one to read, one in hand), so the agent's voice is
// not delayed by them for the rest of the call.
func TestMicPumpTrimsAStandingBacklog(t *testing.T) {
	m := &micPump{frame: 1}
	next := int16(1)
	push := func() {
		m.mu.Lock()
		m.frames = append(m.frames, []int16{next})
		next++
		m.mu.Unlock()
	}
	for range 6 {
		push()
	}
	buf := []int16{0}
	for range trimWindow {
		push() // one frame per read: the backlog of 6 stands
		m.ReadPCM(buf)
	}
	// The last read trimmed to two, handed out the older and keeps the
	// newest in hand.
	m.mu.Lock()
	left := len(m.frames)
	m.mu.Unlock()
	if left != 1 || buf[0] != next-2 {
		t.Fatalf("after a second with at least 6 frames at every read: read frame %d with %d left, want frame %d with 1 left",
			buf[0], left, next-2)
	}
}
