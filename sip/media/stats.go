package media

import (
	"math"
	"time"
)

// Snapshot is the call's current quality.
func (m *Session) Snapshot() QualityReport {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := QualityReport{CallID: m.callID, Codec: m.neg.Send.Name, RTTMs: round1(m.rttMs)}
	q.JitterMs = round1(m.rx.jitterMs())
	q.LossPct = round1(max(m.rx.intervalLossPct, 0))
	oneWay := m.rttMs/2 + float64(m.addedDelay/time.Millisecond) + 20
	q.MOS = eModelMOS(m.neg.Send.Name, oneWay, q.LossPct)
	q.SRTP = m.srtpStatsLocked()
	q.FromStrangers = m.rtpPeer.strangers + m.rtcpPeer.strangers
	q.PacketsReceived = uint64(m.rx.received)
	q.MicPeak = m.mic.peakOfFullScale()
	return q
}

func (m *Session) report() {
	m.mu.Lock()
	active := m.receiving || m.sending
	if active {
		// The report's own interval, not RTCP's: the RTCP loop may
		// have closed its interval on this very tick, and an interval
		// of no packets would show none of the loss.
		m.rx.closeReportInterval()
	}
	m.mu.Unlock()
	if !active {
		return
	}
	q := m.Snapshot()
	m.events.QualityReport(q)
	if w := m.thr.warnings(q); len(w) > 0 {
		q.Warnings = w
		m.events.QualityWarning(q)
	}
}

// MediaStats are counters of one call's media, for tests and benchmarks.
type MediaStats struct {
	// PlayoutDelay is the mean time a packet waited between arriving and
	// being handed to the speaker (jitter buffer and playout clock).
	PlayoutDelay time.Duration
	// SendDelay is the mean time from reading a microphone frame to its
	// RTP packet leaving (encoding and sending).
	SendDelay                           time.Duration
	Played, Concealed, Late, Dropped    int
	JitterBufferFrames, JitterBufferMax int
	// Stretched counts the frames of concealment the jitter buffer
	// inserted to grow its delay (a dry buffer, or more jitter);
	// Shrunk the frames it dropped to shrink it (Dropped counts them
	// too); Duplicates the packets received twice; Silent the frame
	// periods the speaker got nothing after the stream had played (it
	// stopped for over a second: a long loss, hold, the end).
	Stretched, Shrunk, Duplicates, Silent int
	// ComfortNoise counts the frame periods of a peer's DTX silence
	// (G.729 Annex B) filled with comfort noise: neither losses nor
	// Concealed.
	ComfortNoise int
	// SentPackets counts the RTP audio and event packets sent; SentSID
	// those of them that ended in a SID frame (G.729 Annex B).
	SentPackets, SentSID int
	// PlayedSID counts the packets received and played that ended in a
	// SID frame.
	PlayedSID int
	// TargetDelay is the playout delay the jitter buffer aims for,
	// above the fastest recent packet's arrival.
	TargetDelay time.Duration
	// RTPFromStrangers and RTCPFromStrangers count the datagrams dropped
	// because they came from an address that is not the peer's
	// (latch.go).
	RTPFromStrangers, RTCPFromStrangers uint64
}

func (m *Session) Stats() MediaStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := MediaStats{Played: m.jb.played, Concealed: m.jb.concealed, Late: m.jb.late, Dropped: m.jb.dropped,
		JitterBufferFrames: int((m.jb.targetDelay() + frameDur - 1) / frameDur), JitterBufferMax: m.jb.max,
		Stretched: m.jb.stretched, Shrunk: m.jb.shrunk, Duplicates: m.jb.duplicates, Silent: m.jb.silent,
		ComfortNoise: m.jb.comfort,
		SentPackets:  int(m.sentPkts), SentSID: m.sentSID, PlayedSID: m.playedSID,
		TargetDelay:      m.jb.targetDelay(),
		RTPFromStrangers: m.rtpPeer.strangers, RTCPFromStrangers: m.rtcpPeer.strangers}
	if m.bufCount > 0 {
		s.PlayoutDelay = m.bufDelay / time.Duration(m.bufCount)
	}
	if m.sendCount > 0 {
		s.SendDelay = m.sendDelay / time.Duration(m.sendCount)
	}
	return s
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// Sent is our stream's SSRC and the sequence number its next packet
// will carry.
func (m *Session) Sent() (ssrc uint32, nextSeq uint16) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Every packet sent took the next number (writeRTP counts them).
	return m.ssrc, m.firstSeq + uint16(m.sentPkts)
}

// PeerReport is the remote's latest RTCP reception report on our
// stream: the extended highest sequence number it received and its
// cumulative loss; ok is false before the first.
func (m *Session) PeerReport() (highestSeq uint32, lost uint32, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.peerRR
	return r.LastSequenceNumber, r.TotalLost, r.SSRC == m.ssrc && r.SSRC != 0
}
