package media

import (
	"errors"
	"net"
	"time"

	"github.com/pion/rtcp"

	"github.com/openbpclient/bpclient/sip/dtlssrtp"
)

// rtcpLoop sends sender reports, reads the remote's reports (RTT), checks
// that media flows, and publishes quality every qEvery.
func (m *Session) rtcpLoop() {
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.rtcpRead() }()
	check := m.clock.NewTicker(250 * time.Millisecond)
	defer check.Stop()
	lastReport := m.clock.Now()
	lastSR := time.Time{}
	for {
		select {
		case <-m.ctx.Done():
			return
		case now := <-check.C():
			m.checkFlow(now)
			if now.Sub(lastSR) >= min(m.qEvery, 5*time.Second) {
				lastSR = now
				m.sendReport(now)
			}
			if now.Sub(lastReport) >= m.qEvery {
				lastReport = now
				m.report()
			}
		}
	}
}

func (m *Session) checkFlow(now time.Time) {
	m.mu.Lock()
	silent := m.receiving && !m.issue && now.Sub(m.lastRecv) > m.noRTP && !m.dtxAliveLocked(now)
	if silent {
		m.log.Warn().Dur("silentFor", now.Sub(m.lastRecv)).Msg("no RTP from the remote side")
		m.queueIssueLocked(true, "a network issue is disrupting your phone device")
	}
	m.mu.Unlock()
	if silent {
		m.emitQueued()
	}
}

// dtxSilenceRTCP is how recent the peer's RTCP must be to hold a DTX
// silence alive: its reports come every 5 s (RFC 3550's interval, and
// ours), and the no-RTP timeout on top allows for one late.
const dtxSilenceRTCP = 5 * time.Second

// dtxAliveLocked reports whether a stream without RTP is a peer's DTX
// silence (the last frame played was comfort noise) that its RTCP
// still shows alive: no RTP then is not a network issue.
func (m *Session) dtxAliveLocked(now time.Time) bool {
	return m.jb.noise && !m.lastRTCPRecv.IsZero() && now.Sub(m.lastRTCPRecv) <= m.noRTP+dtxSilenceRTCP
}

func (m *Session) receptionReportLocked(now time.Time) []rtcp.ReceptionReport {
	if !m.rx.started {
		return nil
	}
	iv := m.rx.closeInterval()
	return []rtcp.ReceptionReport{{
		SSRC: m.rx.ssrc, FractionLost: iv.fractionLost, TotalLost: iv.totalLost,
		LastSequenceNumber: iv.extMax, Jitter: uint32(m.rx.jitter), LastSenderReport: m.lastSR, Delay: delaySinceSR(now, m.lastSRAt),
	}}
}

func (m *Session) sendReport(now time.Time) {
	m.mu.Lock()
	rr := m.receptionReportLocked(now)
	sr := &rtcp.SenderReport{SSRC: m.ssrc, NTPTime: ntp(now), RTPTime: m.ts.Load(), PacketCount: m.sentPkts, OctetCount: m.sentBytes, Reports: rr}
	dst := m.rtcpPeer.dest()
	sec, ok := m.rtcpTransformer()
	m.mu.Unlock()
	if !dst.IsValid() || !ok {
		return
	}
	buf, err := rtcp.Marshal([]rtcp.Packet{sr, &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
		Source: m.ssrc, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "bpclient"}}}}}})
	if err == nil && sec != nil {
		buf, err = sec.ProtectRTCP(nil, buf)
	}
	if err == nil {
		_, _ = m.rtcpConn.WriteToUDPAddrPort(buf, dst)
	}
}

// rtcpRead reads RTCP until the media stops; the gate holds what comes
// before a DTLS call's RTCP keys (rtcpgate.go).
func (m *Session) rtcpRead() {
	buf := make([]byte, 1500)
	for {
		n, from, err := m.rtcpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if m.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		data := buf[:n]
		m.mu.Lock()
		src := m.admitLocked(streamRTCP, &m.rtcpPeer, from)
		m.mu.Unlock()
		if src == fromStranger {
			continue
		}
		if m.dtlsRTCP != nil && dtlssrtp.IsDTLS(data) {
			if src == fromPeer {
				m.dtlsRTCP.Deliver(data)
			}
			continue
		}
		m.rtcpGate.pass(datagram{b: data, from: from}, m.handleRTCP)
	}
}

// handleRTCP unprotects and reads one RTCP packet: the peer's reports
// (RTT, what it received of ours). The gate calls it, one at a time.
func (m *Session) handleRTCP(d datagram) {
	data := d.b
	sec, ok := m.rtcpTransformer()
	if !ok {
		return
	}
	if sec != nil {
		wire := data
		var err error
		data, err = sec.UnprotectRTCP(nil, wire)
		if !m.sortEarly(streamRTCP, wire, err) {
			return
		}
	}
	pkts, err := rtcp.Unmarshal(data)
	if err != nil {
		return
	}
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.acceptLocked(streamRTCP, &m.rtcpPeer, d.from) {
		return
	}
	m.lastRTCPRecv = now
	for _, p := range pkts {
		var reports []rtcp.ReceptionReport
		switch v := p.(type) {
		case *rtcp.SenderReport:
			m.lastSR = uint32(v.NTPTime >> 16) // its middle 32 bits, what an RR echoes
			m.lastSRAt = now
			reports = v.Reports
		case *rtcp.ReceiverReport:
			reports = v.Reports
		}
		for _, rr := range reports {
			if rr.SSRC != m.ssrc {
				continue
			}
			m.peerRR = rr
			if ms, ok := roundTripMs(ntpMiddle(now), rr.LastSenderReport, rr.Delay); ok {
				m.rttMs = ms
			}
		}
	}
}
