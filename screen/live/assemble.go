package live

import (
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// maxFrameBytes bounds one frame put back together: a 1080p VP8 keyframe
// of a busy screen is a few hundred kB.
const maxFrameBytes = 4 << 20

// assembler puts VP8 frames back together from their RTP packets
// (RFC 7741). It is written here rather than taken from pion's
// samplebuilder because that one hands a frame out only when the first
// packet of the next frame arrives, a whole frame interval late (up to a
// second at 1 fps); the marker bit of the last packet says enough. A lost
// packet loses its frame and every frame after it until a keyframe, since
// a VP8 inter frame needs the picture before it: needKey says so, and the
// viewer asks the sender for a keyframe.
type assembler struct {
	vp8     codecs.VP8Packet
	buf     []byte
	ts      uint32
	nextSeq uint16
	inFrame bool // buf holds the start of the frame of ts
	started bool // nextSeq is known
	needKey bool // waiting for a keyframe after a loss (or at the start)
}

func newAssembler() *assembler { return &assembler{needKey: true} }

// push takes the next packet; it returns a whole frame when p completes
// one (valid until the next push). After a loss, until a keyframe
// completes, waitingKey reports true and the viewer asks for one.
func (a *assembler) push(p *rtp.Packet) (frame []byte, key bool) {
	if a.started && p.SequenceNumber != a.nextSeq {
		if int16(p.SequenceNumber-a.nextSeq) < 0 {
			return nil, false // a late duplicate or retransmission: already given up on
		}
		a.drop()
	}
	a.started, a.nextSeq = true, p.SequenceNumber+1
	payload, err := a.vp8.Unmarshal(p.Payload)
	if err != nil {
		a.drop()
		return nil, false
	}
	switch {
	case a.vp8.S == 1 && a.vp8.PID == 0: // the first packet of a frame
		if a.inFrame { // the previous frame's tail never came
			a.drop()
		}
		a.buf, a.ts, a.inFrame = a.buf[:0], p.Timestamp, true
	case !a.inFrame:
		return nil, false // the rest of a frame whose start was dropped
	case p.Timestamp != a.ts:
		a.drop()
		return nil, false
	}
	if len(a.buf)+len(payload) > maxFrameBytes {
		a.drop()
		return nil, false
	}
	a.buf = append(a.buf, payload...)
	if !p.Marker {
		return nil, false
	}
	a.inFrame = false
	if len(a.buf) == 0 {
		return nil, false
	}
	key = a.buf[0]&0x01 == 0 // the frame tag's P bit: 0 is a keyframe (RFC 6386 9.1)
	if a.needKey && !key {
		return nil, false
	}
	a.needKey = false
	return a.buf, key
}

// waitingKey reports whether frames are dropped until a keyframe.
func (a *assembler) waitingKey() bool { return a.needKey }

// lostPicture is told that the frame given out could not be decoded.
func (a *assembler) lostPicture() { a.needKey = true }

// drop forgets the frame under way; what follows needs a keyframe.
func (a *assembler) drop() {
	a.inFrame = false
	a.buf = a.buf[:0]
	a.needKey = true
}
