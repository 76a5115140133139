package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// jitterRun plays a stream through the engine's receive statistics and
// jitter buffer on a simulated 20 ms playout clock: packet i leaves the
// sender at i·20 ms and arrives at arrive(i); each tick takes what has
// arrived, then plays one frame.
type jitterRun struct {
	m     *Session
	t0    time.Time
	next  int // the next packet to arrive
	tick  int
	depth int // the deepest the buffer was
	peak  int // the largest target
}

func newJitterRun() *jitterRun {
	return &jitterRun{m: &Session{jb: newJitterBuffer(1, 10), rx: rxStats{clockRate: 8000}}, t0: time.Unix(1_700_000_000, 0)}
}

// run plays ticks ticks with packets arriving at arrive(i) after t0.
func (r *jitterRun) run(ticks int, arrive func(i int) time.Duration) {
	for end := r.tick + ticks; r.tick < end; r.tick++ {
		now := time.Duration(r.tick) * frameDur
		for arrive(r.next) <= now {
			at := r.t0.Add(arrive(r.next))
			pkt := rtp.Packet{Header: rtp.Header{SSRC: 7, SequenceNumber: uint16(r.next), Timestamp: uint32(r.next) * 160}}
			r.m.updateRxLocked(&pkt, at)
			r.m.jb.push(pkt.SequenceNumber, []byte{1}, at)
			r.next++
		}
		r.depth = max(r.depth, r.m.jb.depth())
		r.peak = max(r.peak, r.m.jb.target)
		r.m.jb.pop()
	}
}

// The buffer grows when packets come late and in bursts, and shrinks
// back, frame by frame, once the network is calm again.
func TestJitterBufferGrowsOnLatePacketsAndShrinksWhenCalm(t *testing.T) {
	r := newJitterRun()
	calm := func(i int) time.Duration { return time.Duration(i)*frameDur + 30*time.Millisecond }
	r.run(100, calm)
	if jb := r.m.jb; jb.target != 1 || jb.concealed != 0 || r.m.rx.jitter != 0 {
		t.Fatalf("a calm network: target %d, concealed %d, jitter %v; want 1 frame, none, 0", jb.target, jb.concealed, r.m.rx.jitter)
	}
	// A stall: packets 110 to 124 are held up and arrive together with
	// packet 125, 300 ms late for the first of them.
	burst := func(i int) time.Duration {
		if i >= 110 && i <= 125 {
			return calm(125)
		}
		return calm(i)
	}
	r.depth, r.peak = 0, 0
	r.run(40, burst)
	grown := r.peak
	t.Logf("burst: target up to %d frames, buffer up to %d, late %d", grown, r.depth, r.m.jb.late)
	if grown < 3 {
		t.Errorf("a burst of late packets grew the target to %d frames, want at least 3", grown)
	}
	if r.depth < grown {
		t.Errorf("the burst filled the buffer to %d frames, want at least the target %d", r.depth, grown)
	}
	// Calm again: the jitter estimate decays by 15/16 a packet, the
	// target with it, and the buffer drops a frame each half second
	// that it holds more than the target.
	dropped := r.m.jb.dropped
	r.run(500, calm)
	jb := r.m.jb
	t.Logf("calm: target %d, depth %d, dropped %d", jb.target, jb.depth(), jb.dropped-dropped)
	if jb.target != 1 {
		t.Errorf("after 10 s of calm: target %d frames (jitter %.2f ms), want 1", jb.target, r.m.rx.jitterMs())
	}
	if jb.depth() > jb.target+1 {
		t.Errorf("after 10 s of calm the buffer holds %d frames, target %d", jb.depth(), jb.target)
	}
	if jb.dropped == dropped {
		t.Error("the buffer shrank without dropping a frame: it never held more than it needed")
	}
}

// The receive path's arithmetic allocates nothing per packet: the
// statistics, the buffer (once grown), the concealment and the clock
// read through its interface.
func TestReceiveArithmeticNoAllocs(t *testing.T) {
	var clock Clock = wallClock{}
	m := &Session{jb: newJitterBuffer(1, 10), rx: rxStats{clockRate: 8000}}
	lost := newConcealer(960)
	pcm := make([]int16, 960)
	payload := make([]byte, 160)
	var pkt rtp.Packet
	seq := uint16(0)
	step := func() {
		pkt.Header = rtp.Header{SSRC: 7, SequenceNumber: seq, Timestamp: uint32(seq) * 160}
		now := clock.Now()
		m.updateRxLocked(&pkt, now)
		if seq%7 != 3 { // every seventh packet lost
			m.jb.push(seq, payload, now)
		}
		if _, _, ok, missing := m.jb.pop(); ok && missing {
			lost.conceal(plainDecoder{}, pcm, 160)
		} else {
			lost.good(pcm[:160])
		}
		if seq%50 == 0 {
			m.rx.closeInterval()
			roundTripMs(ntpMiddle(now), 1, 1)
		}
		seq++
	}
	for i := 0; i < 100; i++ {
		step() // the buffer's slots grow to their largest first
	}
	if a := testing.AllocsPerRun(1000, step); a != 0 {
		t.Errorf("%v allocations per packet, want 0", a)
	}
}
