package media

import (
	"math"
	"time"
)

// rxStats are one received stream's statistics of RFC 3550: the extended
// highest sequence number and the loss of appendix A.3, and the
// interarrival jitter of A.8 (section 6.4.1). It is arithmetic only: the
// receive loop hands it each packet with its arrival time, the RTCP
// sender closes an interval when it writes a report.
type rxStats struct {
	started         bool
	ssrc            uint32
	baseSeq, maxSeq uint16
	cycles          uint32
	received        uint32 // duplicates included, as A.3 counts them
	expectedPrior   uint32
	receivedPrior   uint32
	// base is the stream's first arrival: arrivals are counted in
	// timestamp units from it, so that the count neither overflows nor
	// jumps (units since 1970 times the clock rate exceed 64 bits).
	base              time.Time
	jitter            float64 // in timestamp units
	lastTransit       int64
	haveTransit       bool
	clockRate         int
	intervalLossPct   float64
	cumulativeLossPct float64
}

// packet counts one packet of ssrc that arrived at arrival. It reports
// whether the packet started the stream over (the first, or a new SSRC),
// so that whatever orders the stream's packets starts over too.
func (r *rxStats) packet(ssrc uint32, seq uint16, ts uint32, arrival time.Time) (restarted bool) {
	if !r.started || r.ssrc != ssrc {
		*r = rxStats{started: true, ssrc: ssrc, baseSeq: seq, maxSeq: seq, clockRate: r.clockRate, base: arrival}
		restarted = true
	}
	r.received++
	if seqBefore(r.maxSeq, seq) {
		if seq < r.maxSeq {
			r.cycles += 1 << 16
		}
		r.maxSeq = seq
	}
	if r.clockRate > 0 {
		transit := r.units(arrival.Sub(r.base)) - int64(ts)
		if r.haveTransit {
			d := math.Abs(float64(transit - r.lastTransit))
			r.jitter += (d - r.jitter) / 16
		}
		r.lastTransit, r.haveTransit = transit, true
	}
	return restarted
}

// units converts a duration to timestamp units without overflowing.
func (r *rxStats) units(d time.Duration) int64 {
	rate := int64(r.clockRate)
	return int64(d/time.Second)*rate + int64(d%time.Second)*rate/int64(time.Second)
}

// jitterMs is the interarrival jitter in milliseconds.
func (r *rxStats) jitterMs() float64 {
	if r.clockRate <= 0 {
		return 0
	}
	return r.jitter * 1000 / float64(r.clockRate)
}

// rxInterval is what a reception report says of one interval.
type rxInterval struct {
	extMax       uint32 // extended highest sequence number received
	fractionLost uint8  // of the interval, in 1/256
	totalLost    uint32 // cumulative, clamped to the field's 24 bits, never below 0
}

// closeInterval ends a reporting interval (RFC 3550 A.3): the figures
// of the report block, and the loss percentages quality reports show.
func (r *rxStats) closeInterval() rxInterval {
	extMax := r.cycles + uint32(r.maxSeq)
	expected := extMax - uint32(r.baseSeq) + 1
	lost := int64(expected) - int64(r.received)
	expInt := expected - r.expectedPrior
	recvInt := r.received - r.receivedPrior
	r.expectedPrior, r.receivedPrior = expected, r.received
	lostInt := int64(expInt) - int64(recvInt)
	var frac uint8
	if expInt > 0 && lostInt > 0 {
		frac = uint8(min(255, lostInt*256/int64(expInt)))
		r.intervalLossPct = float64(lostInt) * 100 / float64(expInt)
	} else {
		r.intervalLossPct = 0
	}
	if expected > 0 && lost > 0 {
		r.cumulativeLossPct = float64(lost) * 100 / float64(expected)
	}
	return rxInterval{extMax: extMax, fractionLost: frac, totalLost: uint32(max(0, min(lost, 0x7fffff)))}
}
