package live

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// packetize splits frame into RTP packets of at most mtu bytes as the
// Sender's track does.
func packetize(frame []byte, seq uint16, ts uint32, mtu uint16) []*rtp.Packet {
	pz := rtp.NewPacketizer(mtu, vp8PayloadType, 1, &codecs.VP8Payloader{}, rtp.NewFixedSequencer(seq), 90000)
	pkts := pz.Packetize(frame, 0)
	for _, p := range pkts {
		p.Timestamp = ts
	}
	return pkts
}

// vp8Like is a frame whose first byte says keyframe (P bit 0) or not.
func vp8Like(key bool, n int, fill byte) []byte {
	f := bytes.Repeat([]byte{fill}, n)
	f[0] = 0x10
	if !key {
		f[0] |= 0x01
	}
	return f
}

func TestAssemblerPutsFramesBackTogether(t *testing.T) {
	a := newAssembler()
	key, inter := vp8Like(true, 3000, 7), vp8Like(false, 2500, 9)
	var got [][]byte
	seq := uint16(65530) // wraps inside the second frame
	for i, f := range [][]byte{key, inter} {
		pkts := packetize(f, seq, uint32(i*9000), 1200)
		seq += uint16(len(pkts))
		for j, p := range pkts {
			fr, isKey := a.push(p)
			if fr != nil {
				if j != len(pkts)-1 || isKey != (i == 0) {
					t.Fatalf("frame %d out at packet %d of %d, key %v", i, j, len(pkts), isKey)
				}
				got = append(got, append([]byte(nil), fr...))
			}
		}
	}
	if len(got) != 2 || !bytes.Equal(got[0], key) || !bytes.Equal(got[1], inter) {
		t.Fatalf("got %d frames, not the ones sent", len(got))
	}
}

func TestAssemblerDropsToTheNextKeyframeAfterALoss(t *testing.T) {
	a := newAssembler()
	if !a.waitingKey() {
		t.Fatal("a new assembler should wait for a keyframe")
	}
	inter := packetize(vp8Like(false, 100, 1), 10, 0, 1200)
	if fr, _ := a.push(inter[0]); fr != nil {
		t.Fatal("an inter frame before any keyframe was given out")
	}
	key := packetize(vp8Like(true, 3000, 2), 11, 3000, 1200)
	for _, p := range key {
		a.push(p)
	}
	if a.waitingKey() {
		t.Fatal("still waiting after a whole keyframe")
	}
	next := packetize(vp8Like(false, 3000, 3), 11+uint16(len(key)), 6000, 1200)
	a.push(next[0])
	for _, p := range next[2:] { // next[1] lost
		if fr, _ := a.push(p); fr != nil {
			t.Fatal("a frame with a lost packet was given out")
		}
	}
	if !a.waitingKey() {
		t.Fatal("a loss did not make it wait for a keyframe")
	}
	// A late retransmission of the lost packet changes nothing.
	if fr, _ := a.push(next[1]); fr != nil {
		t.Fatal("a late packet made a frame")
	}
}

func FuzzAssembler(f *testing.F) {
	f.Add([]byte{0x80, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x10, 0x10, 0x02, 0x00})
	f.Add(packetize(vp8Like(true, 40, 5), 1, 1, 1200)[0].Payload)
	f.Fuzz(func(t *testing.T, data []byte) {
		a := newAssembler()
		// The input as a run of packets: each byte pair a header's seq
		// and marker, the rest payloads of up to 64 bytes.
		seq := uint16(0)
		for len(data) > 2 {
			n := min(int(data[0]%64)+1, len(data)-2)
			p := &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Marker: data[1]&1 == 1, Timestamp: uint32(data[1] >> 4)}, Payload: data[2 : 2+n]}
			seq += uint16(data[1]>>1) % 3 // in order, repeated or skipping
			data = data[2+n:]
			if fr, _ := a.push(p); len(fr) > maxFrameBytes {
				t.Fatalf("frame of %d bytes", len(fr))
			}
		}
	})
}
