package media

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/sip/dtlssrtp"
)

// recvLoop reads RTP, updates statistics and fills the jitter buffer.
// It allocates nothing per packet: the buffers and the parsed packet are
// reused, the source address is a value, and the jitter buffer copies the
// payload into a slot it recycles.
func (m *Session) recvLoop() {
	buf := make([]byte, 1600)
	plain := make([]byte, 1600)
	var pkt rtp.Packet
	rx := newRTPReceiver(m.rtpConn)
	m.mu.Lock()
	backlog := m.rtpBacklog
	m.rtpBacklog = nil
	m.mu.Unlock()
	for {
		var n int
		var from netip.AddrPort
		var err error
		if len(backlog) > 0 {
			n, from = copy(buf, backlog[0].b), backlog[0].from
			backlog = backlog[1:]
		} else {
			n, from, err = rx.readFrom(buf)
		}
		if err != nil {
			if m.ctx.Err() != nil {
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		data := buf[:n]
		m.mu.Lock()
		src := m.admitLocked(streamRTP, &m.rtpPeer, from)
		m.mu.Unlock()
		if src == fromStranger {
			continue
		}
		if m.dtlsRTP != nil && dtlssrtp.IsDTLS(data) {
			// A retransmitted flight or an alert (RFC 7983 demux); the
			// association talks to the signalled address only.
			if src == fromPeer {
				m.dtlsRTP.Deliver(data)
			}
			continue
		}
		if m.sec != nil {
			// Packets that fail authentication or replay are dropped
			// and counted; the stream goes on.
			wire := data
			data, err = m.sec.UnprotectRTP(plain[:0], wire)
			if !m.sortEarly(streamRTP, wire, err) {
				continue
			}
		}
		if err := pkt.Unmarshal(data); err != nil || pkt.Version != 2 {
			continue
		}
		now := m.clock.Now()
		m.mu.Lock()
		// The packet proved itself (it decrypted, or parsed): it may
		// latch, once (latch.go).
		if !m.acceptLocked(streamRTP, &m.rtpPeer, from) {
			m.mu.Unlock()
			continue
		}
		m.lastRecv = now
		flowing := m.issue
		if flowing {
			m.queueIssueLocked(false, "media is flowing again")
		}
		m.takeRTPLocked(&pkt, now)
		m.mu.Unlock()
		if flowing {
			m.emitQueued()
		}
	}
}

// takeRTPLocked takes one accepted packet: a telephone-event, or audio
// for the statistics and the jitter buffer.
func (m *Session) takeRTPLocked(pkt *rtp.Packet, now time.Time) {
	if m.neg.DTMF != nil && pkt.PayloadType == m.neg.DTMF.PT {
		if ev, err := codec.DecodeEvent(pkt.Payload); err == nil && ev.End && pkt.Timestamp != m.lastRxDTMF {
			m.lastRxDTMF = pkt.Timestamp
			m.receivedDigitLocked(ev.Code)
		}
		return
	}
	if pkt.PayloadType != m.neg.Send.PT {
		return
	}
	m.updateRxLocked(pkt, now)
	idx := pkt.SequenceNumber
	if cn, dtx := m.dec.(codec.ComfortNoiser); dtx {
		span := uint32(cn.PayloadSamples(pkt.Payload)) * m.tsStep / uint32(max(m.frame, 1))
		idx = m.dtxIdx.index(pkt.SequenceNumber, pkt.Timestamp, span, m.tsStep)
	}
	if m.receiving {
		m.jb.push(idx, pkt.Payload, now)
	}
}

// maxReceivedDigits bounds the digits a call keeps: call.dtmf sends at
// most 64 at a time, and what matters to a reader is the newest.
const maxReceivedDigits = 64

// receivedDigitLocked keeps one received digit, dropping the oldest
// beyond maxReceivedDigits.
func (m *Session) receivedDigitLocked(code byte) {
	if len(m.dtmfRecv) == maxReceivedDigits {
		m.dtmfRecv = append(m.dtmfRecv[:0], m.dtmfRecv[1:]...)
	}
	m.dtmfRecv = append(m.dtmfRecv, code)
}

func (m *Session) updateRxLocked(pkt *rtp.Packet, now time.Time) {
	if m.rx.packet(pkt.SSRC, pkt.SequenceNumber, pkt.Timestamp, now) {
		m.jb.reset()
		m.dtxIdx.reset()
	}
}

// ReceivedDigits returns the RFC 4733 digits received so far.
func (m *Session) ReceivedDigits() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	const keys = "0123456789*#ABCD"
	out := make([]byte, 0, len(m.dtmfRecv))
	for _, c := range m.dtmfRecv {
		if int(c) < len(keys) {
			out = append(out, keys[c])
		}
	}
	return string(out)
}
