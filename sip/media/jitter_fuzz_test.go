package media

import (
	"encoding/binary"
	"testing"
	"time"
)

// Any arrival pattern (sequence numbers, arrival steps and frame
// periods from the fuzzer's bytes) leaves the buffer within its
// bounds: it never holds more than its slots, plays a payload only in
// its own turn, never goes back within a stream, and counts no less
// than nothing.
func FuzzJitterBuffer(f *testing.F) {
	f.Add([]byte{0, 1, 0, 20, 0, 2, 0, 20, 0, 4, 1, 0, 0, 3, 0, 5})
	f.Add([]byte{0xff, 0xff, 0, 0, 0, 0, 2, 0, 0x80, 0, 0, 1, 0x7f, 0xff, 3, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		j := newJitterBuffer(jitterBufferFrames)
		now := time.Unix(1_700_000_000, 0)
		for len(b) >= 4 {
			seq := binary.BigEndian.Uint16(b)
			step := time.Duration(b[2]) * time.Millisecond
			pops := int(b[3] % 4)
			b = b[4:]
			now = now.Add(step)
			j.push(seq, []byte{byte(seq), byte(seq >> 8)}, now)
			if j.depth() > jitterBufferFrames {
				t.Fatalf("holds %d frames, bound %d", j.depth(), jitterBufferFrames)
			}
			for k := 0; k < pops; k++ {
				base, idx := j.base, j.playIdx
				p := j.pop(now, k%2 == 0)
				if j.base.Equal(base) && j.playIdx < idx {
					t.Fatalf("went back from frame %d to %d", idx, j.playIdx)
				}
				if p.op == opPlay && p.shrink {
					if q, ok := j.shrinkFrame(); ok {
						p = q
					}
				}
				if p.op == opPlay {
					if s := j.nextSeq - 1; binary.LittleEndian.Uint16(p.payload) != s {
						t.Fatalf("played the payload of %d in the turn of %d", binary.LittleEndian.Uint16(p.payload), s)
					}
				}
				now = now.Add(frameDur)
			}
			if j.stretched < 0 || j.concealed < 0 || j.late < 0 {
				t.Fatalf("counters below zero: stretched %d, concealed %d, late %d", j.stretched, j.concealed, j.late)
			}
		}
	})
}
