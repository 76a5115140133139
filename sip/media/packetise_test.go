package media

import (
	"bytes"
	"testing"
)

// scriptedDTX is a DTX encoder that gives, frame by frame, the lengths
// of its script ('v' a 10-byte voice frame, 's' a 2-byte SID, '-'
// nothing), each frame's bytes its number.
type scriptedDTX struct {
	script string
	n      int
}

func (e *scriptedDTX) Encode(dst []byte, pcm []int16) (int, error) {
	c := e.script[e.n%len(e.script)]
	e.n++
	k := map[byte]int{'v': 10, 's': 2, '-': 0}[c]
	for i := range k {
		dst[i] = byte(e.n)
	}
	return k, nil
}

func (*scriptedDTX) DTXFrame() (int, int) { return 80, 10 }

// TestDTXPacketiser: voice frames go two to a packet with a SID only at
// the end, a SID alone is a packet, nothing is sent in silence while the
// timestamps run, the first packet after it is marked, and voice after
// a mid-period SID starts its packet at its own timestamp.
func TestDTXPacketiser(t *testing.T) {
	type want struct {
		bytes  int
		ts     uint32
		marker bool
	}
	for _, c := range []struct {
		script string
		want   [][]want // per 20 ms period
	}{
		{"vvvv", [][]want{{{20, 0, false}}, {{20, 160, false}}}},
		{"vs--sv", [][]want{{{12, 0, false}}, nil, {{2, 320, true}}}}, // the voice waits for its pair
		{"sv-vv-", [][]want{{{2, 0, false}}, {{10, 80, false}}, {{20, 240, true}}}},
		{"--vvvs", [][]want{nil, {{20, 160, true}}, {{12, 320, false}}}},
	} {
		enc := &scriptedDTX{script: c.script}
		p, err := newDTXPacketiser(enc, 160, 160)
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, 160)
		var out []dtxPacket
		for period, w := range c.want {
			out, err = p.frames(out, pcm, uint32(period)*160)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(w) {
				t.Fatalf("%s: period %d gave %d packets, want %d", c.script, period, len(out), len(w))
			}
			for i, pk := range out {
				if len(pk.payload) != w[i].bytes || pk.ts != w[i].ts || pk.marker != w[i].marker {
					t.Errorf("%s: period %d packet %d: %d bytes at %d marker %v, want %+v", c.script, period, i, len(pk.payload), pk.ts, pk.marker, w[i])
				}
			}
		}
	}
}

// TestDTXPacketiserPayloads: the frames' bytes arrive in order and whole,
// voice before the SID.
func TestDTXPacketiserPayloads(t *testing.T) {
	p, err := newDTXPacketiser(&scriptedDTX{script: "vs"}, 160, 160)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.frames(nil, make([]int16, 160), 0)
	if err != nil || len(out) != 1 {
		t.Fatalf("%d packets, %v", len(out), err)
	}
	want := append(bytes.Repeat([]byte{1}, 10), 2, 2)
	if !bytes.Equal(out[0].payload, want) {
		t.Errorf("payload %v, want %v", out[0].payload, want)
	}
	pcm := make([]int16, 160)
	if n := testing.AllocsPerRun(100, func() { out, _ = p.frames(out, pcm, 0) }); n != 0 {
		t.Errorf("%.0f allocations a period", n)
	}
}

// TestDTXIndex: a DTX stream's packets take the period their last sample
// falls in: the packet after a silence where it is due, one after a
// mid-period SID in the period it ends in, a reordered one in its own.
func TestDTXIndex(t *testing.T) {
	var d dtxIndex
	for _, c := range []struct {
		seq      uint16
		ts, span uint32
		want     uint16
	}{
		{100, 1000, 160, 100},
		{101, 1160, 160, 101},
		{102, 1320, 80, 102},                // a SID alone
		{103, 1320 + 160*50, 80, 102 + 50},  // the next SID, a second on
		{104, 1320 + 160*60 + 80, 160, 163}, // voice begun mid-period
		{106, 1320 + 160*62 + 80, 160, 165}, // a loss between
		{105, 1320 + 160*61 + 80, 160, 164}, // which comes late
		{107, 1320 + 160*63 + 80, 160, 166},
	} {
		if got := d.index(c.seq, c.ts, c.span, 160); got != c.want {
			t.Errorf("seq %d ts %d: index %d, want %d", c.seq, c.ts, got, c.want)
		}
	}
	// Timestamps that wrap.
	d.reset()
	start := uint32(0xffffff00)
	if got := d.index(7, start, 160, 160); got != 7 {
		t.Fatalf("first index %d", got)
	}
	if got := d.index(8, start+160*3, 160, 160); got != 10 {
		t.Errorf("after the wrap: index %d, want 10", got)
	}
}
