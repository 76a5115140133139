package media

import (
	"math"
	"time"
)

// rxStats are one received stream's statistics of RFC 3550: the extended
// highest sequence number and the loss of appendix A.3, and the
// interarrival jitter of A.8 (section 6.4.1). It is arithmetic only: the
// receive loop hands it each packet with its arrival time, the RTCP
// sender closes an interval when it writes a report, and the quality
// report closes an interval of its own: the two schedules meet on the
// same tick at times, and a report must not read the empty interval an
// RTCP report closed a moment before.
type rxStats struct {
	started         bool
	ssrc            uint32
	baseSeq, maxSeq uint16
	cycles          uint32
	received        uint32 // duplicates included, as A.3 counts them
	expectedPrior   uint32
	receivedPrior   uint32
	// reportExpectedPrior and reportReceivedPrior are the same at the
	// last quality report.
	reportExpectedPrior, reportReceivedPrior uint32
	// base is the stream's first arrival: arrivals are counted in
	// timestamp units from it, so that the count neither overflows nor
	// jumps (units since 1970 times the clock rate exceed 64 bits).
	base        time.Time
	jitter      float64 // in timestamp units
	lastTransit int64
	haveTransit bool
	clockRate   int
	// intervalLossPct is the loss of the last quality report's interval
	// (closeReportInterval).
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

// closeInterval ends an RTCP reporting interval (RFC 3550 A.3): the
// figures of the report block.
func (r *rxStats) closeInterval() rxInterval {
	expected, lost := r.expectedAndLost()
	lostInt, expInt := r.lossSince(&r.expectedPrior, &r.receivedPrior)
	var frac uint8
	if expInt > 0 && lostInt > 0 {
		frac = uint8(min(255, lostInt*256/int64(expInt)))
	}
	if expected > 0 && lost > 0 {
		r.cumulativeLossPct = float64(lost) * 100 / float64(expected)
	}
	return rxInterval{extMax: r.cycles + uint32(r.maxSeq), fractionLost: frac, totalLost: uint32(max(0, min(lost, 0x7fffff)))}
}

// closeReportInterval ends a quality report's interval: the loss since
// the last report, whatever RTCP reports went out in between.
func (r *rxStats) closeReportInterval() (lossPct float64) {
	if !r.started {
		return 0 // nothing received yet: nothing expected either
	}
	lostInt, expInt := r.lossSince(&r.reportExpectedPrior, &r.reportReceivedPrior)
	r.intervalLossPct = 0
	if expInt > 0 && lostInt > 0 {
		r.intervalLossPct = float64(lostInt) * 100 / float64(expInt)
	}
	return r.intervalLossPct
}

// expectedAndLost are the packets expected since the stream began and
// those of them lost (A.3; duplicates can make it negative).
func (r *rxStats) expectedAndLost() (expected uint32, lost int64) {
	expected = r.cycles + uint32(r.maxSeq) - uint32(r.baseSeq) + 1
	return expected, int64(expected) - int64(r.received)
}

// lossSince is the interval's loss and expected packets since the
// counts *expPrior and *recvPrior, which it moves on to now.
func (r *rxStats) lossSince(expPrior, recvPrior *uint32) (lost int64, expected uint32) {
	exp, _ := r.expectedAndLost()
	expected, recv := exp-*expPrior, r.received-*recvPrior
	*expPrior, *recvPrior = exp, r.received
	return int64(expected) - int64(recv), expected
}
