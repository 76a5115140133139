package media

import "time"

// jitterBuffer reorders RTP payloads by sequence number and releases one
// per frame period. It starts playing once it holds target frames, grows
// the target with the measured jitter and shrinks back by dropping a frame
// when it holds more than it needs: as small as the network allows.
type jitterBuffer struct {
	slots   map[uint16]slot
	next    uint16 // sequence number to play next
	started bool
	primed  bool // reached target once since (re)start
	target  int  // frames to hold before and while playing
	min     int
	max     int
	over    int // consecutive pops with more than target+2 frames

	// Payload buffers are recycled: push copies into one from free, and
	// the one pop handed out returns to free at the next pop, so a call
	// allocates only while the buffer grows to its largest depth.
	free [][]byte
	out  []byte

	// counters
	late, dropped, concealed, played int
}

// slot is one buffered payload and when it arrived.
type slot struct {
	payload []byte
	at      time.Time
}

func newJitterBuffer(minFrames, maxFrames int) *jitterBuffer {
	return &jitterBuffer{slots: make(map[uint16]slot), target: minFrames, min: minFrames, max: maxFrames}
}

// seqBefore reports whether a comes before b in RTP sequence space.
func seqBefore(a, b uint16) bool { return a != b && b-a < 0x8000 }

// push stores a copy of one payload that arrived at at.
func (j *jitterBuffer) push(seq uint16, payload []byte, at time.Time) {
	if !j.started {
		j.started = true
		j.next = seq
	}
	if seqBefore(seq, j.next) {
		// Too late to play, or a duplicate of something played.
		j.late++
		return
	}
	if seq-j.next > 500 {
		// A jump far ahead (the sender restarted): start over there.
		j.reset(seq)
	}
	if len(j.slots) >= 4*j.max {
		j.dropped++
		return
	}
	if old, dup := j.slots[seq]; dup {
		j.recycle(old.payload)
	}
	var b []byte
	if n := len(j.free); n > 0 {
		b, j.free = j.free[n-1], j.free[:n-1]
	}
	j.slots[seq] = slot{append(b[:0], payload...), at}
}

func (j *jitterBuffer) recycle(b []byte) {
	if b != nil {
		j.free = append(j.free, b)
	}
}

func (j *jitterBuffer) reset(seq uint16) {
	for _, s := range j.slots {
		j.recycle(s.payload)
	}
	clear(j.slots)
	j.next = seq
	j.primed = false
}

// setTarget adapts the depth to a jitter estimate in frames.
func (j *jitterBuffer) setTarget(frames int) {
	j.target = max(j.min, min(j.max, frames))
}

// pop returns the next payload, valid until the next pop. ok is false
// when nothing should play yet (not primed, or the buffer ran dry); lost
// is true when the packet for this slot is missing and the decoder should
// conceal it.
func (j *jitterBuffer) pop() (payload []byte, at time.Time, ok, lost bool) {
	j.recycle(j.out)
	j.out = nil
	if !j.started {
		return nil, time.Time{}, false, false
	}
	if !j.primed {
		if len(j.slots) < j.target {
			return nil, time.Time{}, false, false
		}
		j.primed = true
	}
	if len(j.slots) == 0 {
		// Dry: wait to be primed again rather than conceal forever.
		j.primed = false
		return nil, time.Time{}, false, false
	}
	// Shrink back: drop one frame when we have held more than needed for
	// half a second (the jitter dropped, or the sender's clock is fast).
	if len(j.slots) > j.target {
		j.over++
		if j.over >= 25 {
			j.over = 0
			if s, has := j.slots[j.next]; has {
				j.recycle(s.payload)
				delete(j.slots, j.next)
				j.dropped++
			}
			j.next++
		}
	} else {
		j.over = 0
	}
	p, has := j.slots[j.next]
	delete(j.slots, j.next)
	j.next++
	if !has {
		j.concealed++
		return nil, time.Time{}, true, true
	}
	j.played++
	j.out = p.payload
	return p.payload, p.at, true, false
}

// depth is the number of frames held.
func (j *jitterBuffer) depth() int { return len(j.slots) }
