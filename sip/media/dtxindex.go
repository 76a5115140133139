package media

// dtxIndex gives the packets of a stream with discontinuous transmission
// (G.729 Annex B) their places in the jitter buffer. The buffer plays a
// packet a frame period and orders packets by number, but a sender in
// DTX sends nothing through its silence and numbers the next packet on,
// while its timestamp jumps by the silence; and a SID frame alone is
// half a period, so the packets after it start mid-period. A packet's
// place is therefore the period its last sample falls in, counted by the
// timestamps from the stream's first packet: the packet after a silence
// plays when it is due (and its transit is measured from then), not a
// period after the last SID, and a packet begun mid-period takes the
// period it ends in. Loss statistics (rxstats.go) keep the real
// numbers: a silence is not a loss.
type dtxIndex struct {
	started  bool
	baseIdx  uint16 // the place of the packet base was taken from
	baseLast uint32 // the timestamp of its last sample
}

// dtxReanchor bounds how far from the base timestamps are counted, well
// inside int32's range (a day and a half at 8 kHz).
const dtxReanchor = 1 << 30

// index is the buffer's number for a packet of seq and ts that spans
// span timestamp units; step is a period's.
func (d *dtxIndex) index(seq uint16, ts uint32, span, step uint32) uint16 {
	last := ts + max(span, 1) - 1
	if !d.started || step == 0 {
		d.started, d.baseIdx, d.baseLast = true, seq, last
		return seq
	}
	// The periods are those of the base, which ends one (the stream
	// starts with voice); a packet takes the first period that ends at
	// or after its last sample: the division rounds up (Go's rounds a
	// negative quotient, a packet reordered from before the base, up).
	diff := int64(int32(last - d.baseLast))
	periods := diff / int64(step)
	if diff > 0 && diff%int64(step) != 0 {
		periods++
	}
	idx := d.baseIdx + uint16(periods)
	if diff > dtxReanchor {
		d.baseIdx, d.baseLast = d.baseIdx+uint16(periods), d.baseLast+uint32(periods)*step
	}
	return idx
}

// reset forgets the stream (a new SSRC).
func (d *dtxIndex) reset() { d.started = false }
