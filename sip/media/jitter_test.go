package media

import (
	"testing"
	"time"
)

func TestJitterBuffer(t *testing.T) {
	j := newJitterBuffer(2, 10)
	// Out of order arrival is reordered; a gap is concealed once.
	for _, s := range []uint16{10, 12, 11, 14} {
		j.push(s, []byte{byte(s)}, time.Now())
	}
	var got []int
	for i := 0; i < 5; i++ {
		p, _, ok, lost := j.pop()
		switch {
		case !ok:
			got = append(got, -1)
		case lost:
			got = append(got, 0)
		default:
			got = append(got, int(p[0]))
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
	j.push(3, []byte{3}, time.Now()) // late
	if j.late != 1 {
		t.Errorf("late %d", j.late)
	}
	// Sequence wrap.
	j2 := newJitterBuffer(1, 10)
	j2.push(65535, []byte{1}, time.Now())
	j2.push(0, []byte{2}, time.Now())
	if p, _, ok, _ := j2.pop(); !ok || p[0] != 1 {
		t.Fatal("wrap: first")
	}
	if p, _, ok, _ := j2.pop(); !ok || p[0] != 2 {
		t.Fatal("wrap: second")
	}
}

func BenchmarkJitterBufferPushPop(b *testing.B) {
	j := newJitterBuffer(1, 10)
	p := make([]byte, 160)
	now := time.Now()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		j.push(uint16(i), p, now)
		j.pop()
	}
}
