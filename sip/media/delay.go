package media

import "time"

// The delay estimator's window and bins (see delayEstimator).
const (
	delayWindow     = 500 // packets: 10 s of 20 ms frames
	delayRecent     = 100 // packets: the 2 s the fastest recent packet is taken from
	delayBins       = 1000
	delayBin        = time.Millisecond
	delayQuantile   = 0.97
	delayGuard      = 10 * time.Millisecond // held above the quantile: a packet a few ms later than any seen, or a clock tick early, still plays
	delayStartGuard = 20 * time.Millisecond // before a second of arrivals is known
	delayMax        = 400 * time.Millisecond
)

// delayEstimator measures how late packets arrive, from which the
// jitter buffer takes the playout delay it aims for. A packet's transit
// is its arrival against its place in the stream (index · 20 ms); its
// relative delay is its transit above the fastest packet of the 2 s
// before it (as WebRTC's NetEQ measures it), so that a sender clock a
// little fast or slow moves the baseline, not the spread. The target is
// a high quantile of the relative delays of the last 10 s over the
// fastest recent transit, plus a guard: a spike raises it at once, and
// it comes down only once the spike has left the window. A mean (the
// RFC 3550 jitter) would put a third of the packets of a uniform 0-80
// ms jitter after their turn.
//
// All of it is fixed arrays: a packet costs no allocation.
type delayEstimator struct {
	transit [delayWindow]time.Duration // ring, newest at head-1
	bin     [delayWindow]uint16        // the histogram bin each entry counted in
	n, head int
	hist    [delayBins]uint16
	// fastest is the smallest transit of the last delayRecent packets,
	// kept as a sliding minimum: recent holds, oldest first, the packets
	// that may yet be the fastest (each faster than those before it
	// that are still in the 2 s), so a packet costs O(1).
	fastest time.Duration
	recent  [delayRecent]recentTransit
	rHead   int
	rLen    int
	added   int           // packets added since the reset
	cached  time.Duration // the quantile's bin, valid while !dirty
	dirty   bool
}

// recentTransit is one packet's transit and its count.
type recentTransit struct {
	n       int
	transit time.Duration
}

func (d *delayEstimator) reset() { *d = delayEstimator{} }

// add takes one packet's transit.
func (d *delayEstimator) add(transit time.Duration) {
	if d.n == delayWindow {
		d.hist[d.bin[d.head]]--
	} else {
		d.n++
	}
	d.transit[d.head] = transit
	d.head = (d.head + 1) % delayWindow
	d.added++
	for d.rLen > 0 && d.recent[(d.rHead+d.rLen-1)%delayRecent].transit >= transit {
		d.rLen--
	}
	if d.rLen > 0 && d.recent[d.rHead].n <= d.added-delayRecent {
		d.rHead, d.rLen = (d.rHead+1)%delayRecent, d.rLen-1
	}
	d.recent[(d.rHead+d.rLen)%delayRecent] = recentTransit{d.added, transit}
	d.rLen++
	d.fastest = d.recent[d.rHead].transit
	b := int((transit - d.fastest) / delayBin)
	b = max(0, min(delayBins-1, b))
	d.bin[(d.head+delayWindow-1)%delayWindow] = uint16(b)
	d.hist[b]++
	d.dirty = true
}

// spread is the quantile of the relative delays in the window.
func (d *delayEstimator) spread() time.Duration {
	if !d.dirty {
		return d.cached
	}
	need := int(float64(d.n)*delayQuantile + 0.999)
	seen, b := 0, 0
	for ; b < delayBins-1; b++ {
		seen += int(d.hist[b])
		if seen >= need {
			break
		}
	}
	d.cached, d.dirty = time.Duration(b+1)*delayBin, false
	return d.cached
}

// target is the transit at which a frame should play: what it takes for
// all but the latest 1% of the packets of the last 10 s to be there in
// time, bounded by delayMax; ok is false before the first packet.
func (d *delayEstimator) target() (t time.Duration, ok bool) {
	if d.n == 0 {
		return 0, false
	}
	guard := delayGuard
	if d.n < delayRecent/2 {
		guard = delayStartGuard
	}
	return d.fastest + min(delayMax, d.spread()+guard), true
}
