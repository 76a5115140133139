package phoneapi

import (
	"slices"
	"testing"

	"github.com/openbpclient/bpclient/sip"
)

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

// pumpFrame is a frame of the fake capture: when it reaches the pump (ms)
// and whether it is speech (loud) or a pause.
type pumpFrame struct {
	at   float64
	loud bool
}

// pumpRead is what one read of the call's clock took: the frame's number
// (0: silence) and when.
type pumpRead struct {
	at  float64
	seq int
}

// runPump plays frames into a pump and reads it every 20 ms from phase
// on, in virtual time, as the capture goroutine and the media clock do.
// Frame i (numbered from 1) was captured at 20*(i-1) ms; its first
// sample carries its number.
func runPump(frames []pumpFrame, phase float64, reads int) []pumpRead {
	m := &micPump{frame: 160, frames: newFrameRing(micBacklog, 160)}
	pcm, buf := make([]int16, 160), make([]int16, 160)
	var out []pumpRead
	next := 0
	for r := range reads {
		at := phase + 20*float64(r)
		for ; next < len(frames) && frames[next].at <= at; next++ {
			for i := range pcm {
				pcm[i] = 0
				if frames[next].loud {
					pcm[i] = 1000
				}
			}
			pcm[0] = int16(next + 1)
			m.mu.Lock()
			m.frames.push(pcm)
			m.mu.Unlock()
		}
		m.ReadPCM(buf)
		out = append(out, pumpRead{at: at, seq: int(buf[0])})
	}
	return out
}

// speech is loud for five frames in ten (100 ms pauses between).
func speech(i int) bool { return i%10 < 5 }

// latency is each sent frame's time from its capture to its read, in ms.
func latency(reads []pumpRead) []float64 {
	var l []float64
	for _, r := range reads {
		if r.seq > 0 {
			l = append(l, r.at-20*float64(r.seq-1))
		}
	}
	return l
}

func medianOf(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestMicPumpLateCapturePacketsDoNotStand: a capture stream whose packets
// now and then come late (a loaded machine: 30-70 ms, then the backlog
// at once) left one more frame in hand after each, and the old pump
// trimmed only above two: its queue stood 40 ms deep for the rest of the
// call. Once seconds pass in which a frame was always left over, the
// pump drops down to what they needed: 3 s after the last hiccup the
// microphone's frames reach the wire at most 20 ms (one frame) after they
// were captured (the clock reads 10 ms after each frame is due here), and
// apart from the hiccups themselves no read finds the pump empty.
func TestMicPumpLateCapturePacketsDoNotStand(t *testing.T) {
	hiccups := []struct{ at, late float64 }{{1000, 50}, {2500, 30}, {4000, 70}, {5200, 30}}
	var frames []pumpFrame
	for i := range 750 {
		at := 20 * float64(i)
		for _, h := range hiccups {
			if at >= h.at && at < h.at+h.late {
				at = h.at + h.late
			}
		}
		frames = append(frames, pumpFrame{at: at, loud: speech(i)})
	}
	reads := runPump(frames, 10, 750)
	if got := medianOf(latency(reads[len(reads)-150:])); got > 20 {
		t.Errorf("median latency over the last 3 s: %.0f ms, want at most 20 (the capture's own: 10)", got)
	}
	for _, r := range reads[len(reads)-150:] {
		if r.seq == 0 {
			t.Fatalf("a read at %.0f ms, after the hiccups, found the pump empty", r.at)
		}
	}
}

// TestMicPumpStallBacklogGoesInPauses: the device stalls for 150 ms and
// then hands over its backlog at once. The reads during the stall send
// silence (there is nothing else); after it, no read finds the pump
// empty, and the backlog goes one frame at a time from the pauses
// (speech frames all reach the wire, in order), instead of the oldest
// frames at once, which cut a hole of the backlog's length in the
// speech; within 3 s the latency is back below one frame.
func TestMicPumpStallBacklogGoesInPauses(t *testing.T) {
	var frames []pumpFrame
	for i := range 400 {
		at := 20 * float64(i)
		if at >= 2000 && at < 2150 {
			at = 2150
		}
		frames = append(frames, pumpFrame{at: at, loud: speech(i)})
	}
	reads := runPump(frames, 10, 400)
	last, sent := 0, map[int]bool{}
	for _, r := range reads {
		if r.seq == 0 && r.at > 2170 {
			t.Fatalf("a read at %.0f ms, after the stall, found the pump empty", r.at)
		}
		if r.seq > 0 {
			if r.seq <= last {
				t.Fatalf("frame %d sent after frame %d", r.seq, last)
			}
			last = r.seq
			sent[r.seq] = true
		}
	}
	for i := 1; i < last; i++ {
		if speech(i-1) && !sent[i] {
			t.Errorf("speech frame %d (captured at %d ms) was dropped", i, 20*(i-1))
		}
	}
	if got := medianOf(latency(reads[len(reads)-100:])); got > 20 {
		t.Errorf("median latency over the last 2 s: %.0f ms, want at most 20", got)
	}
}

// TestMicPumpKeepsBursts: PipeWire hands over three frames at once every
// 60 ms. The queue empties at every third read, so nothing is trimmed
// and no frame is lost (trimming to one frame in hand left 120 ms holes).
func TestMicPumpKeepsBursts(t *testing.T) {
	var frames []pumpFrame
	for i := range 300 {
		frames = append(frames, pumpFrame{at: 60*float64(i/3) + 60 + 1, loud: true})
	}
	reads := runPump(frames, 10, 290)
	want := 0
	for _, r := range reads {
		if r.seq == 0 {
			if want > 0 && r.at > 200 {
				t.Fatalf("a read at %.0f ms found the pump empty mid-call", r.at)
			}
			continue
		}
		if want > 0 && r.seq != want {
			t.Fatalf("read frame %d at %.0f ms, want %d: frames lost", r.seq, r.at, want)
		}
		want = r.seq + 1
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

// The pump as the media's FrameSource: frames are taken oldest first
// with the count still waiting, and none is held back after an underrun
// (the media's clock fills in).
func TestMicPumpHandsFramesAsTheyCome(t *testing.T) {
	m := &micPump{frame: 160, frames: newFrameRing(micBacklog, 160)}
	var s sip.FrameSource = m
	buf := make([]int16, 160)
	if _, _, ok := s.NextPCM(buf); ok {
		t.Fatal("a frame taken from an empty pump")
	}
	for v := int16(1); v <= 3; v++ {
		m.frames.push(level(v))
	}
	for want := int16(1); want <= 3; want++ {
		n, left, ok := s.NextPCM(buf)
		if !ok || n != 160 || buf[0] != want || left != int(3-want) {
			t.Fatalf("took frame %d (%d samples, %d left, %v), want %d with %d left", buf[0], n, left, ok, want, 3-want)
		}
	}
	m.frames.push(level(4)) // after an underrun: handed over at once
	if _, _, ok := s.NextPCM(buf); !ok || buf[0] != 4 {
		t.Fatalf("after an underrun the next frame was held (%v, %d)", ok, buf[0])
	}
}

func level(v int16) []int16 {
	f := make([]int16, 160)
	for i := range f {
		f[i] = v
	}
	return f
}
