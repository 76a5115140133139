package sip_test

import (
	"context"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
	"github.com/openbpclient/bpclient/sip/srtpmedia"
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
// checked on the way in: an RTP relay (siptest.RTPRelay) sits in front
// of baresip's port, and what it handed to baresip since the resume is
// decoded (decrypted first with SDES) and checked by frequency. And
// baresip's own RTCP receiver reports on our stream must reach past a
// second of packets sent since the resume with nothing lost (a gap or
// jump in our numbering, or a packet that failed SRTP authentication,
// would show); on a DTLS call, whose keys the relay has not, they are
// the check.

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
// marked by m: baresip's tone (440 Hz) on our speaker, our packets in
// baresip's receiver reports (it reports about every 5 s), and our tone
// (1000 Hz) in what the relay, if any, handed to baresip.
func checkAfterResume(t *testing.T, what string, c *sip.Call, a *testAudio, relay *siptest.RTPRelay, m resumeMark) {
	t.Helper()
	const packets = 50 // a second of audio
	deadline := time.Now().Add(sip.HangGuard)
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
		t.Errorf("hang guard (%v): %s: baresip sent no receiver report on our stream", sip.HangGuard, what)
	case int16(uint16(high)-m.nextSeq) < packets:
		t.Errorf("hang guard (%v): %s: baresip's last report has our packets up to seq %d; we resumed at %d", sip.HangGuard, what, uint16(high), m.nextSeq)
	case lost > m.peerLost+2:
		t.Errorf("%s: baresip lost %d of our packets since the resume", what, lost-m.peerLost)
	}
	if relay != nil {
		// At least the second of packets baresip reported, at 8 kHz.
		if pcm := relayedPCM(t, c, relay, m.nextSeq); len(pcm) < packets*160 {
			t.Errorf("%s: %d samples of ours reached baresip's RTP port since the resume", what, len(pcm))
		} else {
			checkTone(t, what+": what reached baresip's RTP port", pcm, 8000, 1000)
		}
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
func holdAndResumeBothSides(ctx context.Context, t *testing.T, pe *peers, c *sip.Call, relay *siptest.RTPRelay) {
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
	checkAfterResume(t, "after our resume", c, pe.audio, relay, markResume(c, pe.audio))

	if _, err := pe.b.Command("hold", ""); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateRemoteHeld)
	time.Sleep(500 * time.Millisecond)
	if _, err := pe.b.Command("resume", ""); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateConnected)
	checkAfterResume(t, "after baresip's resume", c, pe.audio, relay, markResume(c, pe.audio))
}

// relayedPCM decodes our PCMU packets that the relay handed to baresip,
// from sequence number since on; SRTP is decrypted with our keys (every
// packet from the first, so that the rollover counter follows).
func relayedPCM(t *testing.T, c *sip.Call, relay *siptest.RTPRelay, since uint16) []int16 {
	t.Helper()
	ssrc, _ := c.SentForTest()
	var sec *srtpmedia.Transformer
	if k, ok := c.SentKeysForTest(); ok {
		var err error
		if sec, err = srtpmedia.New(k, k); err != nil {
			t.Fatal(err)
		}
	}
	pcmu, err := codec.Lookup("PCMU", 8000)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := pcmu.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var (
		out    []int16
		pkt    rtp.Packet
		failed int
	)
	frame := make([]int16, 960)
	for _, rp := range relay.ToBaresip() {
		data := rp.Data
		if sec != nil {
			if data, err = sec.UnprotectRTP(nil, data); err != nil {
				failed++
				continue
			}
		}
		if pkt.Unmarshal(data) != nil || pkt.SSRC != ssrc || pkt.PayloadType != 0 || int16(pkt.SequenceNumber-since) < 0 {
			continue
		}
		n, err := dec.Decode(frame, pkt.Payload)
		if err != nil {
			t.Fatalf("decode a relayed packet: %v", err)
		}
		out = append(out, frame[:n]...)
	}
	if failed > 0 {
		t.Errorf("%d relayed packets did not decrypt with our keys", failed)
	}
	return out
}
