package media

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/sip/sdp"
)

// Every quality report shows the loss of its own interval, also after
// the RTCP loop's sender report and the quality report came due on the
// same tick. They do when a tick is missed (here the event consumer
// holds the first report for a while, as a busy agent may; on the wall
// clock the ticker's own noise does it too), and from then on they stay
// together: a report that read the interval RTCP had just closed, empty,
// said 0 % loss for the rest of the call, and the support history and
// the doctor saw a clean call.
func TestQualityReportLossAfterTheSchedulesMeet(t *testing.T) {
	for _, every := range []time.Duration{time.Second, 5 * time.Second} {
		t.Run(every.String(), func(t *testing.T) { reportLossAfterStall(t, every) })
	}
}

func reportLossAfterStall(t *testing.T, every time.Duration) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := newFakeClock(t0)
	reports := make(chan QualityReport, 64)
	stalled, release := make(chan struct{}), make(chan struct{})
	first := true // the sink runs in the RTCP loop only
	m := clockedMedia(t, clock, Options{QualityInterval: every, NoMediaTimeout: time.Hour,
		Events: reportFunc(func(q QualityReport) {
			if first {
				first = false
				close(stalled)
				<-release
			}
			reports <- q
		})})
	sig := listenLoopback(t, "127.0.0.1")
	sigRTCP := listenLoopback(t, "127.0.0.1")
	neg := sdp.Agreement{Remote: sig.LocalAddr().(*net.UDPAddr), RemoteRTCP: sigRTCP.LocalAddr().(*net.UDPAddr),
		Send: pcmu(t)[0], Direction: sdp.SendRecv}
	if err := m.Start(neg, Audio{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the stop: a held sink would hold it

	// The peer's packets, one each 20 ms up to the clock, one in five
	// lost on the way.
	seq := uint16(0)
	step := func() {
		clock.advance(250 * time.Millisecond)
		m.mu.Lock()
		for at := t0.Add(time.Duration(seq) * frameDur); !at.After(clock.Now()); at = t0.Add(time.Duration(seq) * frameDur) {
			if seq%5 != 1 {
				m.updateRxLocked(&rtp.Packet{Header: rtp.Header{SSRC: 0xfeed, SequenceNumber: seq, Timestamp: uint32(seq) * 160}}, at)
			}
			seq++
		}
		m.mu.Unlock()
	}
	deadline := time.After(HangGuard)
	for wait := true; wait; {
		select {
		case <-stalled:
			wait = false
		case <-deadline:
			t.Fatalf("hang guard (%v): no first report", HangGuard)
		case <-time.After(2 * time.Millisecond):
			step()
		}
	}
	// The consumer holds the first report for more than an interval:
	// the ticks meanwhile are dropped.
	for i := time.Duration(0); i < every+500*time.Millisecond; i += 250 * time.Millisecond {
		step()
	}
	unblock()
	var got []float64
	for len(got) < 5 {
		select {
		case q := <-reports:
			got = append(got, q.LossPct)
		case <-deadline:
			t.Fatalf("hang guard (%v): reports %v", HangGuard, got)
		case <-time.After(2 * time.Millisecond):
			step()
		}
	}
	for i, loss := range got {
		if loss < 15 || loss > 25 {
			t.Errorf("report %d: loss %v%%, want about 20 (every report's: %v)", i+1, loss, got)
			break
		}
	}
}

// reportFunc is a Sink that hands quality reports to a func and drops
// the rest.
type reportFunc func(QualityReport)

func (reportFunc) NetworkIssue(NetworkIssue)       {}
func (f reportFunc) QualityReport(q QualityReport) { f(q) }
func (reportFunc) QualityWarning(QualityReport)    {}
