package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// The target delay grows when packets come late and in bursts, and
// comes back down once the burst has left the measuring window.
func TestJitterTargetGrowsOnLatePacketsAndComesBack(t *testing.T) {
	calm := cleanArrivals(0, 1499, 5*time.Millisecond, time.Millisecond, 8)
	// A stall: packets 510 to 524 are held up and arrive together with
	// packet 525, 300 ms late for the first of them.
	for i := range calm {
		if f := calm[i].frame; f >= 510 && f <= 525 {
			calm[i].at = calm[525].at
		}
	}
	j := newJitterBuffer(64)
	t0 := time.Unix(1_700_000_000, 0)
	var peak time.Duration
	for _, a := range calm {
		j.push(a.seq, []byte{1}, t0.Add(a.at))
		if a.frame == 100 {
			if d := j.targetDelay(); d > 20*time.Millisecond {
				t.Errorf("a calm network: target %v, want at most 20 ms", d)
			}
		}
		if a.frame > 500 && a.frame < 600 {
			peak = max(peak, j.targetDelay())
		}
	}
	t.Logf("target after the stall %v, at the end %v", peak, j.targetDelay())
	if peak < 250*time.Millisecond {
		t.Errorf("the stall raised the target to %v, want at least 250 ms", peak)
	}
	if d := j.targetDelay(); d > 20*time.Millisecond {
		t.Errorf("10 s after the stall the target is %v, want at most 20 ms", d)
	}
}

// The receive path's arithmetic allocates nothing per packet: the
// statistics, the buffer (once grown), the concealment and the clock
// read through its interface.
func TestReceiveArithmeticNoAllocs(t *testing.T) {
	var clock Clock = wallClock{}
	m := &Session{jb: newJitterBuffer(64), rx: rxStats{clockRate: 8000}}
	lost := newConcealer(960)
	pcm := make([]int16, 960)
	for i := range pcm {
		pcm[i] = int16(i * 37 % 2000)
	}
	payload := make([]byte, 160)
	var pkt rtp.Packet
	seq := uint16(0)
	t0 := clock.Now()
	step := func() {
		pkt.Header = rtp.Header{SSRC: 7, SequenceNumber: seq, Timestamp: uint32(seq) * 160}
		_ = clock.Now()
		now := t0.Add(time.Duration(seq) * frameDur)
		m.updateRxLocked(&pkt, now)
		if seq%7 != 3 { // every seventh packet lost
			m.jb.push(seq, payload, now)
		}
		switch p := m.jb.pop(now.Add(time.Duration(seq%3)*time.Millisecond), lost.quiet()); p.op {
		case opLost, opStretch:
			lost.conceal(plainDecoder{}, pcm, 160)
		case opPlay:
			if p.shrink {
				m.jb.shrinkFrame()
				lost.dropped()
			}
			lost.good(pcm[:160])
		}
		if seq%50 == 0 {
			m.rx.closeInterval()
			roundTripMs(ntpMiddle(now), 1, 1)
			_ = m.jb.targetDelay()
		}
		seq++
	}
	for i := 0; i < 600; i++ {
		step() // the buffer's slots grow to their largest first
	}
	if a := testing.AllocsPerRun(1000, step); a != 0 {
		t.Errorf("%v allocations per packet, want 0", a)
	}
}
