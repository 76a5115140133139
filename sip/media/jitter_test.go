package media

import (
	"testing"
	"time"
)

func TestJitterBuffer(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	j := newJitterBuffer(64)
	// Out of order arrival is reordered; a gap is concealed once.
	for i, s := range []uint16{10, 12, 11, 14} {
		j.push(s, []byte{byte(s)}, t0.Add(time.Duration(i)*time.Millisecond))
	}
	var got []int
	now := t0.Add(100 * time.Millisecond) // the first frame is due
	for i := 0; i < 5; i++ {
		p := j.pop(now.Add(time.Duration(i)*frameDur), false)
		switch p.op {
		case opWait:
			got = append(got, -1)
		case opLost, opStretch:
			got = append(got, 0)
		default:
			got = append(got, int(p.payload[0]))
		}
	}
	want := []int{10, 11, 12, 0, 14}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("played %v, want %v", got, want)
		}
	}
	if j.concealed != 1 {
		t.Errorf("concealed %d", j.concealed)
	}
	j.push(13, []byte{3}, now) // late
	if j.late != 1 {
		t.Errorf("late %d", j.late)
	}
	// Sequence wrap.
	j2 := newJitterBuffer(64)
	j2.push(65535, []byte{1}, t0)
	j2.push(0, []byte{2}, t0)
	if p := j2.pop(now, false); p.op != opPlay || p.payload[0] != 1 {
		t.Fatal("wrap: first")
	}
	if p := j2.pop(now.Add(frameDur), false); p.op != opPlay || p.payload[0] != 2 {
		t.Fatal("wrap: second")
	}
}

func BenchmarkJitterBufferPushPop(b *testing.B) {
	j := newJitterBuffer(64)
	p := make([]byte, 160)
	now := time.Now()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		at := now.Add(time.Duration(i) * frameDur)
		j.push(uint16(i), p, at)
		j.pop(at.Add(30*time.Millisecond), false)
	}
}

// Turns the player was stalled through go by unplayed: their frames
// are dropped, the next plays in its own turn, and the delay stays.
func TestJitterBufferSkipsTheTurnsOfAStall(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	j := newJitterBuffer(64)
	for i := 0; i < 40; i++ {
		j.push(uint16(i), []byte{byte(i)}, t0.Add(time.Duration(i)*frameDur))
	}
	now := t0.Add(40 * time.Millisecond)
	for i := 0; i < 5; i++ {
		if p := j.pop(now.Add(time.Duration(i)*frameDur), false); p.op != opPlay || p.payload[0] != byte(i) {
			t.Fatalf("turn %d: %+v", i, p)
		}
	}
	before := j.offset(now.Add(5 * frameDur))
	j.skip(20)
	after := j.offset(now.Add(25 * frameDur))
	if p := j.pop(now.Add(25*frameDur), false); p.op != opPlay || p.payload[0] != 25 {
		t.Fatalf("after the stall played %+v, want frame 25", p)
	}
	if before != after || j.dropped != 20 {
		t.Errorf("offset %v before the stall, %v after; dropped %d, want the same offset and 20", before, after, j.dropped)
	}
}
