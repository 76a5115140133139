package phoneapi

import "testing"

// TestMicPumpKeepsAFrameInHandAfterAnUnderrun: a device that delivers in
// bursts (three frames every 60 ms) must not leave a hole at every burst.
// After a read found nothing, the pump hands out the next frame only once
// a second waits behind it. DiscardPCM (the call connecting) drops the
// backlog but for the newest two frames, which go at once.
func TestMicPumpKeepsAFrameInHandAfterAnUnderrun(t *testing.T) {
	m := &micPump{frame: 2, frames: newFrameRing(micBacklog, 2)}
	push := func(v int16) {
		m.mu.Lock()
		m.frames.push([]int16{v, v})
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
	m := &micPump{frame: 1, frames: newFrameRing(micBacklog, 1)}
	next := int16(1)
	push := func() {
		m.mu.Lock()
		m.frames.push([]int16{next})
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
	left := m.frames.len()
	m.mu.Unlock()
	if left != 1 || buf[0] != next-2 {
		t.Fatalf("after a second with at least 6 frames at every read: read frame %d with %d left, want frame %d with 1 left",
			buf[0], left, next-2)
	}
}

// The pump keeps its frames in buffers allocated once: a frame from the
// device to the media's read allocates nothing, and a full backlog drops
// its oldest frame.
func TestMicPumpNoAllocationPerFrame(t *testing.T) {
	m := &micPump{frame: 160, frames: newFrameRing(micBacklog, 160)}
	in, out := make([]int16, 160), make([]int16, 160)
	var v int16
	allocs := testing.AllocsPerRun(200, func() {
		v++
		in[0] = v
		m.mu.Lock()
		m.frames.push(in)
		m.mu.Unlock()
		m.ReadPCM(out)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per frame", allocs)
	}
	for i := range micBacklog + 3 {
		in[0] = int16(1000 + i)
		m.frames.push(in)
	}
	if m.frames.len() != micBacklog {
		t.Fatalf("%d frames wait after %d pushes, want %d", m.frames.len(), micBacklog+3, micBacklog)
	}
	if k := m.frames.pop(out); k != 160 || out[0] != 1003 {
		t.Fatalf("oldest frame %d (%d samples), want frame 1003: the three oldest dropped", out[0], k)
	}
}
