package media

import (
	"math"
	"testing"
	"time"
)

// A worked example of RFC 3550 A.3 across a sequence wrap: a reordered
// packet, a duplicate (A.3 counts it as received, so an interval can
// have "negative" loss), then loss in the second interval.
func TestRxStatsLossAcrossWrap(t *testing.T) {
	r := rxStats{clockRate: 8000}
	at := time.Unix(1_700_000_000, 0)
	feed := func(seqs ...uint16) {
		for _, s := range seqs {
			r.packet(0x1234, s, uint32(s)*160, at)
		}
	}
	feed(65533, 65534, 65535, 0, 2, 1, 1, 3)
	// extended highest 65536+3; expected 65539-65533+1 = 7, received 8.
	iv := r.closeInterval()
	if iv.extMax != 65539 || iv.fractionLost != 0 || iv.totalLost != 0 {
		t.Errorf("first interval %+v, want extMax 65539, no loss", iv)
	}
	if loss := r.closeReportInterval(); loss != 0 || r.cumulativeLossPct != 0 {
		t.Errorf("first interval loss %v%% / %v%%, want 0", loss, r.cumulativeLossPct)
	}
	feed(4, 8) // 5, 6, 7 lost
	// expected 65544-65533+1 = 12, received 10: 2 lost in all; in the
	// interval 5 expected, 2 received, 3 lost: 3*256/5 = 153.6 → 153.
	iv = r.closeInterval()
	if iv.extMax != 65544 || iv.fractionLost != 153 || iv.totalLost != 2 {
		t.Errorf("second interval %+v, want extMax 65544, fraction 153, total 2", iv)
	}
	if loss := r.closeReportInterval(); loss != 60 {
		t.Errorf("interval loss %v%%, want 60", loss)
	}
	if want := 200.0 / 12; math.Abs(r.cumulativeLossPct-want) > 1e-9 {
		t.Errorf("cumulative loss %v%%, want %v", r.cumulativeLossPct, want)
	}
	// A late packet from before the wrap neither moves the highest nor
	// adds a cycle.
	feed(65535)
	if iv := r.closeInterval(); iv.extMax != 65544 {
		t.Errorf("a late packet moved the highest to %d", iv.extMax)
	}
}

// The quality report's interval is its own: an RTCP report that closed
// its interval a moment before (the two schedules met on one tick)
// takes none of the loss from it, and a report's interval spans the
// RTCP intervals since the last report.
func TestRxStatsReportIntervalApartFromRTCP(t *testing.T) {
	r := rxStats{clockRate: 8000}
	if loss := r.closeReportInterval(); loss != 0 {
		t.Errorf("loss %v%% before any packet, want 0", loss)
	}
	at := time.Unix(1_700_000_000, 0)
	seq := uint16(0)
	feed := func(n int) { // n packets sent, every fifth lost
		for i := 0; i < n; i++ {
			if seq%5 != 1 {
				r.packet(0x1234, seq, uint32(seq)*160, at)
			}
			seq++
		}
	}
	feed(50)
	if iv := r.closeInterval(); iv.fractionLost != 256*10/50 {
		t.Errorf("RTCP interval %+v, want fraction %d", iv, 256*10/50)
	}
	if loss := r.closeReportInterval(); loss != 20 {
		t.Errorf("report after an RTCP report on the same tick: loss %v%%, want 20", loss)
	}
	feed(25)
	r.closeInterval()
	feed(25)
	r.closeInterval()
	if loss := r.closeReportInterval(); loss != 20 {
		t.Errorf("report over two RTCP intervals: loss %v%%, want 20", loss)
	}
	if iv := r.closeInterval(); iv.fractionLost != 0 {
		t.Errorf("an empty RTCP interval after the report: %+v, want no loss", iv)
	}
}

func TestRxStatsNewSSRCStartsOver(t *testing.T) {
	r := rxStats{clockRate: 8000}
	at := time.Unix(1_700_000_000, 0)
	if !r.packet(1, 100, 0, at) {
		t.Error("the first packet did not start the stream")
	}
	if r.packet(1, 101, 160, at.Add(20*time.Millisecond)) {
		t.Error("the next packet started the stream over")
	}
	if !r.packet(2, 7, 0, at.Add(40*time.Millisecond)) {
		t.Error("a new SSRC did not start the stream over")
	}
	if iv := r.closeInterval(); iv.extMax != 7 || r.received != 1 || r.clockRate != 8000 {
		t.Errorf("after the new SSRC: %+v, received %d, rate %d", iv, r.received, r.clockRate)
	}
}

// Interarrival jitter (RFC 3550 6.4.1, A.8) with known transit times,
// 8 kHz, 160 units a packet. Arrivals 0, 20, 50, 60, 80 ms: transits
// (arrival − timestamp, in units) 0, 0, 80, 0, 0, so D = 0, 80, 80, 0
// and J += (|D| − J)/16 gives 0, 5, 5 + 75/16 = 9.6875, 9.6875·15/16 =
// 9.08203125.
func TestRxStatsJitterWorkedExample(t *testing.T) {
	r := rxStats{clockRate: 8000}
	t0 := time.Unix(1_700_000_000, 0)
	arrivals := []time.Duration{0, 20, 50, 60, 80}
	want := []float64{0, 0, 5, 9.6875, 9.08203125}
	for i, a := range arrivals {
		r.packet(9, uint16(i), uint32(i)*160, t0.Add(a*time.Millisecond))
		if r.jitter != want[i] {
			t.Errorf("after packet %d: jitter %v units, want %v", i, r.jitter, want[i])
		}
	}
	if got, want := r.jitterMs(), 9.08203125/8; got != want {
		t.Errorf("jitter %v ms, want %v", got, want)
	}
}

// Arrival times in nanoseconds since 1970 times the clock rate exceed
// 63 bits: counted that way, evenly spaced packets across the point
// where the product wraps to negative showed a jump of 2^64/10^9 units,
// and the jitter then read hours. 11·2^57 ns (in 2020) times 8000 is
// 1375·2^63, an odd multiple of 2^63: the product wraps there.
func TestRxStatsJitterSteadyAcrossUnitOverflow(t *testing.T) {
	r := rxStats{clockRate: 8000}
	boundary := time.Unix(0, 11<<57)
	for i := -3; i < 3; i++ {
		r.packet(9, uint16(100+i), uint32(1000+160*i), boundary.Add(time.Duration(i)*20*time.Millisecond+time.Millisecond))
	}
	if r.jitter != 0 {
		t.Errorf("steady packets across the boundary: jitter %v units, want 0", r.jitter)
	}
}

// A first transit of exactly 0 units is a transit like any other.
func TestRxStatsJitterFromZeroTransit(t *testing.T) {
	r := rxStats{clockRate: 8000}
	t0 := time.Unix(1_700_000_000, 0)
	r.packet(9, 0, 0, t0)                            // transit 0
	r.packet(9, 1, 160, t0.Add(36*time.Millisecond)) // transit 128: D = 128
	if r.jitter != 8 {
		t.Errorf("jitter %v units, want 128/16 = 8", r.jitter)
	}
}
