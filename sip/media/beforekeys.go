package media

import (
	"encoding/binary"
	"errors"

	"github.com/pion/rtcp"

	"github.com/openbpclient/bpclient/sip/srtpmedia"
)

// A peer starts sending before it has keyed its every stream: baresip
// marks a DTLS call secure when the first of its two associations (RTP's
// or RTCP's) has finished, and sends plain RTP until the RTP one has too,
// or plain RTCP until RTCP's has; with SDES it sends a plain RTCP packet
// before its keys are set. Those packets fail to unprotect here like a
// forgery would, and are dropped like one; beforeKeys tells them apart
// so that they are not reported as failures: they are the peer's own,
// sent before it protected anything, and never ours to decrypt.
//
// A failure is held until the stream's first packet authenticates. Then
// the held ones of that packet's SSRC sent before it (RTP: a sequence
// number within maxHeldDrops before it; RTCP: a whole plain RTCP compound
// packet) are counted as sent before the peer's keys; every other one is
// an ordinary drop. A stream that fails maxHeldDrops times before any
// packet authenticates has no such excuse: what it held is reported.
type beforeKeys struct {
	settled bool // a packet authenticated, or the hold gave up
	held    []heldDrop
	// count of packets classified, by how the transformer counted them
	auth, malformed uint64
}

// maxHeldDrops bounds the failures held: a second of 20 ms packets.
const maxHeldDrops = 50

type heldDrop struct {
	ssrc  uint32
	seq   uint16 // RTP only
	plain bool   // RTCP only: the datagram is a whole plain RTCP packet
	err   error
}

// total is how many packets were classified as sent before the keys.
func (b *beforeKeys) total() uint64 { return b.auth + b.malformed }

// failedRTP holds a failed SRTP packet when no packet of the stream has
// authenticated yet. It returns the failures to report now as ordinary
// drops (the packet's own when it was not held).
func (b *beforeKeys) failedRTP(wire []byte, err error) []error {
	if b.settled || len(wire) < 12 || wire[0]>>6 != 2 {
		return []error{err}
	}
	return b.hold(heldDrop{ssrc: binary.BigEndian.Uint32(wire[8:12]), seq: binary.BigEndian.Uint16(wire[2:4]), err: err})
}

// failedRTCP is failedRTP for SRTCP.
func (b *beforeKeys) failedRTCP(wire []byte, err error) []error {
	if b.settled || len(wire) < 8 || wire[0]>>6 != 2 {
		return []error{err}
	}
	_, perr := rtcp.Unmarshal(wire)
	return b.hold(heldDrop{ssrc: binary.BigEndian.Uint32(wire[4:8]), plain: perr == nil, err: err})
}

func (b *beforeKeys) hold(d heldDrop) []error {
	if len(b.held) == maxHeldDrops {
		// No key ever fitted: report all of it.
		out := make([]error, 0, len(b.held)+1)
		for _, h := range b.held {
			out = append(out, h.err)
		}
		b.settled, b.held = true, nil
		return append(out, d.err)
	}
	b.held = append(b.held, d)
	return nil
}

// authedRTP settles the hold on the stream's first authenticated RTP
// packet; it returns the held failures that are ordinary drops.
func (b *beforeKeys) authedRTP(wire []byte) []error {
	if b.settled {
		return nil
	}
	ssrc, seq := binary.BigEndian.Uint32(wire[8:12]), binary.BigEndian.Uint16(wire[2:4])
	return b.settle(func(h heldDrop) bool {
		return h.ssrc == ssrc && seqBefore(h.seq, seq) && seq-h.seq <= maxHeldDrops
	})
}

// authedRTCP is authedRTP for SRTCP.
func (b *beforeKeys) authedRTCP(wire []byte) []error {
	if b.settled {
		return nil
	}
	ssrc := binary.BigEndian.Uint32(wire[4:8])
	return b.settle(func(h heldDrop) bool { return h.plain && h.ssrc == ssrc })
}

func (b *beforeKeys) settle(early func(heldDrop) bool) []error {
	var out []error
	for _, h := range b.held {
		switch {
		case !early(h):
			out = append(out, h.err)
		case errors.Is(h.err, srtpmedia.ErrMalformed):
			b.malformed++
		default:
			b.auth++
		}
	}
	b.settled, b.held = true, nil
	return out
}

const (
	streamRTP  = "rtp"
	streamRTCP = "rtcp"
)

// sortEarly tells, for the stream's reader, what one unprotected packet
// of the stream (wire, with the error unprotecting it) means while the
// stream's first packet has not authenticated: a failure is held or
// reported (sortEarly returns false: drop the packet), the first packet
// that authenticates settles what was held.
func (m *Session) sortEarly(stream string, wire []byte, err error) bool {
	b := &m.rtpEarly
	if stream == streamRTCP {
		b = &m.rtcpEarly
	}
	if err == nil && b.settled {
		return true
	}
	var drops []error
	m.mu.Lock()
	switch {
	case err != nil && stream == streamRTP:
		drops = b.failedRTP(wire, err)
	case err != nil:
		drops = b.failedRTCP(wire, err)
	case stream == streamRTP:
		drops = b.authedRTP(wire)
	default:
		drops = b.authedRTCP(wire)
	}
	m.mu.Unlock()
	m.logDrops(drops)
	if err != nil {
		return false
	}
	m.logBeforeKeys(stream, b)
	return true
}
