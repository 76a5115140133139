package sip_test

import (
	"context"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/sip"
)

// Audio after a hold, both ways.
//
// What we hear after a resume is checked by frequency on our speaker.
// What baresip hears cannot be: baresip 1.0's recorder (its sndfile
// decode filter) stops for good at the first re-INVITE that makes the
// stream anything but sendrecv, whichever side holds. baresip then resets
// its decoder, which flushes the receive filter chain and closes the WAV,
// and the chain is never rebuilt while the send side's filters remain:
// the WAV keeps what came before the hold and nothing after. Two baresips
// calling each other show the same, and strace shows baresip's RTP socket
// reading our packets at 50 a second after the resume while the WAV's
// file is closed. So audio that reaches baresip after a resume is
// checked by baresip's own RTCP receiver reports on our stream: its
// highest sequence number must reach past a second of packets sent since
// the resume, with nothing lost (a gap or jump in our numbering, a packet
// that failed SRTP authentication, or packets sent elsewhere would show).

// resumeMark is where both directions stood at a resume.
type resumeMark struct {
	heard    int    // samples our speaker had been given
	nextSeq  uint16 // our next RTP sequence number
	peerLost uint32 // baresip's cumulative loss of ours, as last reported
}

func markResume(c *sip.Call, a *testAudio) resumeMark {
	heard, _ := a.heard(c.ID())
	_, seq := c.SentForTest()
	_, lost, _ := c.PeerReportForTest()
	return resumeMark{heard: len(heard), nextSeq: seq, peerLost: lost}
}

// checkAfterResume checks that audio flows both ways after the resume
// marked by m: baresip's tone (440 Hz) on our speaker, and our packets in
// baresip's receiver reports (it reports about every 5 s).
func checkAfterResume(t *testing.T, what string, c *sip.Call, a *testAudio, m resumeMark) {
	t.Helper()
	const packets = 50 // a second of audio
	deadline := time.Now().Add(15 * time.Second)
	var (
		high, lost uint32
		ok         bool
	)
	for time.Now().Before(deadline) {
		high, lost, ok = c.PeerReportForTest()
		if ok && int16(uint16(high)-m.nextSeq) >= packets {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	switch {
	case !ok:
		t.Errorf("%s: baresip sent no receiver report on our stream", what)
	case int16(uint16(high)-m.nextSeq) < packets:
		t.Errorf("%s: baresip's last report has our packets up to seq %d; we resumed at %d", what, uint16(high), m.nextSeq)
	case lost > m.peerLost+2:
		t.Errorf("%s: baresip lost %d of our packets since the resume", what, lost-m.peerLost)
	}
	heard, rate := a.heard(c.ID())
	if len(heard) < m.heard+rate {
		t.Errorf("%s: our speaker got %d samples since the resume", what, len(heard)-m.heard)
		return
	}
	checkTone(t, what+": what bpclient heard", heard[m.heard:], rate, 440)
}

// holdAndResumeBothSides holds and resumes c from our side, then from
// baresip's, checking the states and the audio after each resume.
func holdAndResumeBothSides(ctx context.Context, t *testing.T, pe *peers, c *sip.Call) {
	t.Helper()
	if err := c.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	if st := c.State().State; st != sip.StateHeld {
		t.Errorf("after hold: %s", st)
	}
	time.Sleep(500 * time.Millisecond)
	if err := c.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if st := c.State().State; st != sip.StateConnected {
		t.Errorf("after resume: %s", st)
	}
	checkAfterResume(t, "after our resume", c, pe.audio, markResume(c, pe.audio))

	if _, err := pe.b.Command("hold", ""); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateRemoteHeld, 5*time.Second)
	time.Sleep(500 * time.Millisecond)
	if _, err := pe.b.Command("resume", ""); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateConnected, 5*time.Second)
	checkAfterResume(t, "after baresip's resume", c, pe.audio, markResume(c, pe.audio))
}
