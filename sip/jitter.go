package sip

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

// push stores one payload (copied by the caller) that arrived at at.
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
	j.slots[seq] = slot{payload, at}
}

func (j *jitterBuffer) reset(seq uint16) {
	clear(j.slots)
	j.next = seq
	j.primed = false
}

// setTarget adapts the depth to a jitter estimate in frames.
func (j *jitterBuffer) setTarget(frames int) {
	j.target = max(j.min, min(j.max, frames))
}

// pop returns the next payload. ok is false when nothing should play yet
// (not primed, or the buffer ran dry); lost is true when the packet for
// this slot is missing and the decoder should conceal it.
func (j *jitterBuffer) pop() (payload []byte, at time.Time, ok, lost bool) {
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
			if _, has := j.slots[j.next]; has {
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
	return p.payload, p.at, true, false
}

// depth is the number of frames held.
func (j *jitterBuffer) depth() int { return len(j.slots) }
