package media

import "time"

// playOp is what the jitter buffer says to play for one frame period.
type playOp uint8

const (
	// opWait: nothing to play (no stream yet, or it stopped long ago).
	opWait playOp = iota
	// opPlay: the payload of the next frame.
	opPlay
	// opLost: the next frame's packet is missing, and later ones are
	// here or it is later than the buffer waits for: conceal it (its
	// turn is taken).
	opLost
	// opStretch: play a concealed frame without taking a turn: the
	// delay grows by a frame (the buffer ran dry, or it holds too
	// little for the measured jitter).
	opStretch
	// opNoise: the sender is silent in DTX (the last frame played was
	// comfort noise): play more of it, taking the turn; not a loss.
	opNoise
)

// popped is one frame period's decision.
type popped struct {
	op      playOp
	payload []byte    // opPlay: valid until the next pop
	at      time.Time // opPlay: when it arrived
	// shrink: the buffer holds more than it needs; the player may drop
	// this frame (shrinkFrame) if it is quiet, or even if not when
	// urgent.
	shrink, urgent bool
}

// jitterBufferFrames bounds the frames held: delayMax and a loss burst.
const jitterBufferFrames = 64

// Thresholds of the playout delay's control, against the target.
const (
	shrinkAbove       = 20 * time.Millisecond // a dropped frame leaves the delay at the target or above
	shrinkUrgentAbove = 80 * time.Millisecond
	shrinkUrgentAfter = 25 // frame periods far over the target without a quiet frame to drop
	shrinkAnywayAfter = 50 // frame periods over the target without a quiet frame to drop
	shrinkFastAbove   = 200 * time.Millisecond
	shrinkFastAfter   = 10                    // frame periods very far over the target (a stall's backlog) without a quiet frame to drop
	stretchQuietBelow = -3 * time.Millisecond // a frame may be inserted in quiet
	stretchBelow      = -6 * time.Millisecond // a frame is inserted whatever plays: within the guard still
	dryFrames         = 50                    // a stream dry for a second starts over when it comes back
	dryWaitAbove      = 40 * time.Millisecond // a dry buffer waits in place for a late packet up to this over the target
	restartJump       = 500                   // frames: a sequence jump this far is a new stream
)

// jitterBuffer orders RTP payloads by sequence number and releases one
// per frame period at a playout delay it adapts to the measured arrival
// delays (delayEstimator): frame i of the stream plays at
// base + i·20 ms + offset, and offset follows the target. It never stops
// playback to refill: a dry buffer plays concealment in place (the
// offset grows by a frame, opStretch), and when the missing packets
// turn out lost rather than late, the concealment already played takes
// their turns. It grows by inserting a frame when it holds too little,
// and shrinks by dropping a frame the player finds quiet (or, after
// a second without one, half a second when far over, a fifth when a
// stall left a backlog of 200 ms, one with a cross-fade), a frame at a
// time.
type jitterBuffer struct {
	slots   map[uint16]slot
	started bool // a stream is anchored (base, nextSeq)
	playing bool // its first frame has played
	played1 bool // a frame has played since the buffer was made
	base    time.Time
	nextSeq uint16 // sequence number to play next
	playIdx int64  // its index in the stream since base
	hiIdx   int64  // the highest index received
	inPlace int    // frames stretched since a turn was taken
	dry     int    // frame periods since the buffer last held the next frame
	over    int    // frame periods in a row above shrinkAbove
	est     delayEstimator
	max     int        // frames held at most
	seen    [128]int32 // recent sequence numbers received (+1), for duplicates

	// Payload buffers are recycled: push copies into one from free, and
	// the one pop handed out returns to free at the next pop, so a call
	// allocates only while the buffer grows to its largest depth.
	free [][]byte
	out  []byte

	// noise is set by the player: the last frame it decoded ended in
	// comfort noise (codec.ComfortNoiser), so the frames that do not
	// come are the sender's DTX silence.
	noise bool

	// counters
	late, dropped, concealed, played, stretched, shrunk, duplicates, silent int
	comfort                                                                 int // turns of DTX silence filled with comfort noise
}

// slot is one buffered payload and when it arrived.
type slot struct {
	payload []byte
	at      time.Time
}

func newJitterBuffer(maxFrames int) *jitterBuffer {
	return &jitterBuffer{slots: make(map[uint16]slot, maxFrames), max: maxFrames}
}

// seqBefore reports whether a comes before b in RTP sequence space.
func seqBefore(a, b uint16) bool { return a != b && b-a < 0x8000 }

// push stores a copy of one payload that arrived at at.
func (j *jitterBuffer) push(seq uint16, payload []byte, at time.Time) {
	if !j.started {
		j.anchor(seq, at)
	}
	idx := j.playIdx + int64(int16(seq-j.nextSeq))
	if idx-j.playIdx > restartJump || j.playIdx-idx > restartJump {
		// A jump far ahead or back: the sender restarted.
		j.reset()
		j.anchor(seq, at)
		idx = 0
	}
	if s := &j.seen[seq%128]; *s == int32(seq)+1 {
		j.duplicates++
		return
	} else {
		*s = int32(seq) + 1
	}
	// Every packet counts for the delay, a late one above all.
	j.est.add(at.Sub(j.base) - time.Duration(idx)*frameDur)
	j.hiIdx = max(j.hiIdx, idx)
	if idx < j.playIdx {
		j.late++
		return
	}
	if len(j.slots) >= j.max {
		j.dropped++
		return
	}
	var b []byte
	if n := len(j.free); n > 0 {
		b, j.free = j.free[n-1], j.free[:n-1]
	}
	j.slots[seq] = slot{append(b[:0], payload...), at}
}

// anchor starts a stream at seq, arrived at at: its transit is 0.
func (j *jitterBuffer) anchor(seq uint16, at time.Time) {
	j.started, j.base, j.nextSeq, j.playIdx, j.hiIdx, j.inPlace, j.over = true, at, seq, 0, 0, 0, 0
	j.est.reset()
	j.seen = [128]int32{}
}

func (j *jitterBuffer) recycle(b []byte) {
	if b != nil {
		j.free = append(j.free, b)
	}
}

// reset forgets the stream (the sender restarted): the next packet
// anchors a new one. Playback goes on meanwhile with concealment.
func (j *jitterBuffer) reset() {
	for _, s := range j.slots {
		j.recycle(s.payload)
	}
	clear(j.slots)
	j.started = false
}

// offset is when frame playIdx plays at now, against its place.
func (j *jitterBuffer) offset(now time.Time) time.Duration {
	return now.Sub(j.base) - time.Duration(j.playIdx)*frameDur
}

// targetDelay is the transit the buffer aims to play at, above the
// fastest recent packet's (for the quality report and tests).
func (j *jitterBuffer) targetDelay() time.Duration {
	t, ok := j.est.target()
	if !ok {
		return 0
	}
	return t - j.est.fastest
}

// currentDelay is how far behind the fastest recent packet playback is.
func (j *jitterBuffer) currentDelay(now time.Time) time.Duration {
	if !j.started || !j.playing {
		return 0
	}
	return max(0, j.offset(now)-j.est.fastest)
}

// pop decides what plays in the frame period starting at now; quiet
// says the frame played last was quiet, so that a frame inserted now
// is not heard. The payload of opPlay is valid until the next pop.
func (j *jitterBuffer) pop(now time.Time, quiet bool) popped {
	j.recycle(j.out)
	j.out = nil
	if !j.started {
		if j.playing && j.dry < dryFrames {
			j.dry++
			// The sender restarted: fill in until the new stream is due.
			j.inPlace++
			j.stretched++
			return popped{op: opStretch}
		}
		j.playing = false
		if j.played1 {
			j.silent++
		}
		return popped{}
	}
	target, _ := j.est.target()
	excess := j.offset(now) - target
	if !j.playing {
		if excess < 0 {
			return popped{} // the first frame is not due yet
		}
		j.playing, j.played1 = true, true
	}
	if s, has := j.slots[j.nextSeq]; has {
		if excess < stretchBelow || (excess < stretchQuietBelow && quiet) {
			return j.stretch()
		}
		delete(j.slots, j.nextSeq)
		j.advance(1)
		j.played++
		j.dry = 0
		j.out = s.payload
		p := popped{op: opPlay, payload: s.payload, at: s.at}
		if excess > shrinkAbove {
			j.over++
			p.shrink = true
			p.urgent = (excess > shrinkFastAbove && j.over > shrinkFastAfter) ||
				(excess > shrinkUrgentAbove && j.over > shrinkUrgentAfter) || j.over > shrinkAnywayAfter
		} else {
			j.over = 0
		}
		return p
	}
	j.over = 0
	if j.noise {
		// DTX: nothing is sent while the noise stays the same, and the
		// packet after the silence comes at its due turn (dtxindex.go):
		// the turns go by at the playout delay, neither lost nor dry.
		j.advance(1)
		j.dry = 0
		j.comfort++
		return popped{op: opNoise}
	}
	if j.hiIdx <= j.playIdx || len(j.slots) == 0 {
		// Dry: the next packet may be late rather than lost, so wait
		// for it, playing concealment in place, while the delay is not
		// far over the target: a packet later than that is lost to us,
		// and waiting for each such would ratchet the delay up faster
		// than a steady signal lets it shrink. A second dry, the
		// stream starts over when it comes back.
		j.dry++
		if j.dry >= dryFrames {
			j.reset()
			return j.pop(now, quiet)
		}
		if excess < dryWaitAbove {
			return j.stretch()
		}
		// The turn is taken, lost; the frames stretched before it
		// still count against the gap when the packets come (below).
		j.playIdx++
		j.nextSeq++
		j.concealed++
		return popped{op: opLost}
	}
	// Lost: later packets are here. Frames stretched in place while
	// the buffer was dry covered the first of the missing turns.
	if j.inPlace > 0 {
		gap := j.firstHeld() - j.playIdx
		k := min(int64(j.inPlace), gap)
		j.advance(k)
		j.stretched -= int(k)
		j.concealed += int(k)
		if _, has := j.slots[j.nextSeq]; has {
			return j.pop(now, quiet)
		}
	}
	j.advance(1)
	j.concealed++
	return popped{op: opLost}
}

func (j *jitterBuffer) stretch() popped {
	j.inPlace++
	j.stretched++
	return popped{op: opStretch}
}

// advance takes k turns.
func (j *jitterBuffer) advance(k int64) {
	j.playIdx += k
	j.nextSeq += uint16(k)
	j.inPlace = 0
}

// firstHeld is the index of the first frame held after playIdx.
func (j *jitterBuffer) firstHeld() int64 {
	for i := j.playIdx; i < j.hiIdx; i++ {
		if _, has := j.slots[j.nextSeq+uint16(i-j.playIdx)]; has {
			return i
		}
	}
	return j.hiIdx
}

// shrinkFrame drops the frame pop just gave (the player found it quiet,
// or the shrink is urgent) and gives the next one in its place; ok is
// false when the next is not here (the dropped one then plays).
func (j *jitterBuffer) shrinkFrame() (p popped, ok bool) {
	s, has := j.slots[j.nextSeq]
	if !has {
		return popped{}, false
	}
	delete(j.slots, j.nextSeq)
	j.recycle(j.out)
	j.advance(1)
	j.over = 0
	j.shrunk++
	j.dropped++
	j.out = s.payload
	return popped{op: opPlay, payload: s.payload, at: s.at}, true
}

// skip lets k turns go by unplayed: the player was stalled through
// them. Frames held for them are dropped; the delay stays as it was.
func (j *jitterBuffer) skip(k int) {
	if !j.started || !j.playing {
		return
	}
	for ; k > 0; k-- {
		if s, has := j.slots[j.nextSeq]; has {
			j.recycle(s.payload)
			delete(j.slots, j.nextSeq)
			j.dropped++
		}
		j.advance(1)
	}
}

// depth is the number of frames held.
func (j *jitterBuffer) depth() int { return len(j.slots) }
