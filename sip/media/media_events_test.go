package media

import (
	"net"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip/sdp"
)

// A consumer of the phone's events may call back into the call from the
// callback, here holding it when the network fails: the media must not
// be locked by its own emitter then, and the events still come in the
// order the media decided them. The engine runs on a fake clock, so the
// silence that raises the issue takes no real time.
func TestMediaEventCallbackMayCallBackIntoTheCall(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	m := clockedMedia(t, clock, Options{NoMediaTimeout: time.Second})
	sig := listenLoopback(t, "127.0.0.1")
	sigRTCP := listenLoopback(t, "127.0.0.1")
	neg := sdp.Agreement{Remote: sig.LocalAddr().(*net.UDPAddr), RemoteRTCP: sigRTCP.LocalAddr().(*net.UDPAddr),
		Send: pcmu(t)[0], Direction: sdp.SendRecv}
	issues := make(chan NetworkIssue, 8)
	m.events = issueFunc(func(ni NetworkIssue) {
		if ni.Active {
			m.Update(neg, true) // hold: what a user does when the line breaks up
			_ = m.Stats()
		}
		issues <- ni
	})
	if err := m.Start(neg, Audio{}); err != nil {
		t.Fatal(err)
	}
	hung := false
	t.Cleanup(func() {
		if !hung { // a deadlocked media cannot stop; the failure is reported
			m.Stop()
		}
	})

	var got []NetworkIssue
	deadline := time.Now().Add(HangGuard)
	for len(got) < 2 {
		if time.Now().After(deadline) {
			hung = true
			t.Fatalf("hang guard (%v): network issues seen %+v, want the issue and its end", HangGuard, got)
		}
		select {
		case ni := <-issues:
			got = append(got, ni)
		case <-time.After(5 * time.Millisecond):
			clock.advance(250 * time.Millisecond) // the RTCP loop's check period
		}
	}
	if !got[0].Active || got[0].Message != "a network issue is disrupting your phone device" {
		t.Errorf("first event %+v, want the issue", got[0])
	}
	if got[1].Active || got[1].Message != "media paused" {
		t.Errorf("second event %+v, want its end by the hold", got[1])
	}
	m.mu.Lock()
	sending, receiving := m.sending, m.receiving
	m.mu.Unlock()
	if sending || receiving {
		t.Errorf("the hold from the callback did not apply: sending %v receiving %v", sending, receiving)
	}
}

// issueFunc is a Sink that hands network issues to a func and drops the
// reports.
type issueFunc func(NetworkIssue)

func (f issueFunc) NetworkIssue(ni NetworkIssue) { f(ni) }
func (issueFunc) QualityReport(QualityReport)    {}
func (issueFunc) QualityWarning(QualityReport)   {}
