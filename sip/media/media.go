package media

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/sdp"
	"github.com/openbpclient/bpclient/sip/srtpmedia"
)

// PCMSource is where a call's microphone audio comes from: 16-bit mono
// PCM at the rate the factory was asked for. audio's capture streams fit.
type PCMSource interface {
	ReadPCM(buf []int16) (int, error)
}

// PCMSink is where a call's received audio goes. audio's playback streams
// fit.
type PCMSink interface {
	WritePCM(buf []int16) (int, error)
}

// Audio is one call's microphone and speaker.
type Audio struct {
	Source PCMSource
	Sink   PCMSink
	// Close releases them when the call ends; may be nil.
	Close func()
}

// Sink receives the session's reports; the call names them as its
// events. It is called from the session's goroutines, never with the
// session's lock held, and must not block for long.
type Sink interface {
	// NetworkIssue says that media stopped or started flowing again.
	NetworkIssue(NetworkIssue)
	// QualityReport is the periodic report; QualityWarning the same
	// report when it crosses a threshold (Warnings set).
	QualityReport(QualityReport)
	QualityWarning(QualityReport)
}

// QualityReport is the payload of quality.report (and quality.warning,
// which adds Warnings).
type QualityReport struct {
	CallID   string   `json:"callId"`
	Codec    string   `json:"codec"`
	MOS      float64  `json:"mos"`
	RTTMs    float64  `json:"rttMs"`
	JitterMs float64  `json:"jitterMs"`
	LossPct  float64  `json:"lossPct"`
	Warnings []string `json:"warnings,omitempty"`
	// SRTP counts dropped SRTP packets in secure mode.
	SRTP *SRTPStats `json:"srtp,omitempty"`
	// FromStrangers counts the RTP, RTCP and DTLS datagrams dropped since
	// the call began because they came from an address that is not the
	// peer's (latch.go).
	FromStrangers uint64 `json:"rtpFromStrangers"`
}

// NetworkIssue is the payload of network.issue.
type NetworkIssue struct {
	CallID  string `json:"callId"`
	Active  bool   `json:"active"`
	Message string `json:"message"`
}

// Options are a session's settings; zero fields take defaults.
type Options struct {
	Log    zerolog.Logger
	Events Sink
	// Clock is what the engine reads and waits on (the wall clock when
	// nil); tests pass one they advance by hand.
	Clock Clock
	// Thresholds make quality.warning fire; zero fields take defaults.
	Thresholds Thresholds
	// QualityInterval is how often quality is reported (5 s when zero);
	// NoMediaTimeout how long silence lasts before a network issue
	// (3 s when zero).
	QualityInterval, NoMediaTimeout time.Duration
	// NoLatching takes media only from the signalled addresses
	// (latch.go).
	NoLatching bool
}

// FrameDuration is the audio a packet carries, and the playout clock's
// period.
const FrameDuration = 20 * time.Millisecond

const frameDur = FrameDuration

// Session is one call's RTP and RTCP: a sender, a receiver with its jitter
// buffer, a playout clock, and RTCP with quality reports. Every goroutine
// ends when stop is called.
type Session struct {
	log    zerolog.Logger
	events Sink
	clock  Clock
	callID string
	thr    Thresholds
	qEvery time.Duration
	noRTP  time.Duration

	rtpConn, rtcpConn *net.UDPConn
	// sec protects RTP and RTCP in secure mode (secure.go); set before
	// start, never replaced after.
	sec       *srtpmedia.Transformer
	secSuite  string
	secRemote []byte
	// DTLS-SRTP (dtls.go): the associations on the RTP and RTCP sockets,
	// which the read loops hand DTLS datagrams to (set before start,
	// never replaced after), and RTCP's own keys, stored once its
	// association has finished, which may be after start (nil: no RTCP).
	dtlsRTP, dtlsRTCP *dtlssrtp.Session
	secRTCP           atomic.Pointer[srtpmedia.Transformer]
	// rtcpGate holds RTCP that comes before a DTLS call's RTCP keys and
	// serializes RTCP processing (rtcpgate.go).
	rtcpGate rtcpGate
	// rtpEarly and rtcpEarly tell the packets the peer sent before it
	// had keys from failures (beforekeys.go); each is its reader's (for
	// RTCP: whoever processes under rtcpGate), its counts are guarded by
	// mu.
	rtpEarly, rtcpEarly beforeKeys
	dropsLogged         int // SRTP drops logged so far (logDrops)
	// rtpBacklog is RTP the DTLS pump read last (dtls.go), which the
	// receive loop takes first; set before start.
	rtpBacklog []datagram
	// dtlsTimeout and dtlsGrace bound the DTLS handshakes (dtls.go):
	// dtlsHandshakeTimeout and dtlsRTCPGrace, which tests may shorten
	// or lengthen before the handshake.
	dtlsTimeout, dtlsGrace time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	neg       sdp.Agreement
	enc       codec.Encoder
	dec       codec.Decoder
	frame     int // samples per frame at the codec's PCM rate
	tsStep    uint32
	audio     Audio
	sending   bool
	receiving bool
	muted     bool
	dtmfQ     []byte // event codes waiting to be sent
	// rtpPeer and rtcpPeer are where each stream is taken from and sent
	// to (latch.go).
	rtpPeer, rtcpPeer peerSource
	waiting           *waitingTone // call-waiting tone mixed into the speaker (waiting.go)

	ssrc      uint32
	seq       uint16        // the send loop's own
	firstSeq  uint16        // seq's first value, never changed
	ts        atomic.Uint32 // written by the send loop, read by the RTCP sender
	sentPkts  uint32
	sentBytes uint32
	// txBuf and txSec are the send loop's packet buffers, reused for
	// every packet so that sending allocates nothing; tx sends them.
	txBuf, txSec []byte
	tx           rtpSender

	// receive statistics (RFC 3550 A.3, A.8)
	rx       rxStats
	jb       *jitterBuffer
	lastRecv time.Time
	issue    bool
	// issues are network.issue events decided under mu and not emitted
	// yet; emitting is true while one goroutine emits them (emitQueued).
	issues   []NetworkIssue
	emitting bool
	lastSR   uint32 // middle 32 bits of the last SR's NTP time
	lastSRAt time.Time
	rttMs    float64
	// dtmfRecv holds the newest maxReceivedDigits digits received: a
	// remote sending events with new timestamps must not grow it for
	// the whole call.
	dtmfRecv   []byte
	lastRxDTMF uint32 // timestamp of the last event we counted
	addedDelay time.Duration
	// wire → speaker: time packets spent between arrival and playout
	bufDelay time.Duration
	bufCount int
	// mic → wire: time from the microphone frame's arrival to its packet
	// leaving (encode and send)
	sendDelay time.Duration
	sendCount int

	// peerRR is the remote's latest report on what it received of ours
	// (RFC 3550 §6.4.1): the highest sequence number and the losses.
	peerRR rtcp.ReceptionReport
}

// New makes the session of call callID on its RTP and RTCP sockets,
// which it owns from now on (Stop closes them); nothing runs until
// Start.
func New(callID string, rtpConn, rtcpConn *net.UDPConn, o Options) *Session {
	if o.Clock == nil {
		o.Clock = WallClock()
	}
	if o.Events == nil {
		o.Events = noEvents{}
	}
	if o.QualityInterval <= 0 {
		o.QualityInterval = 5 * time.Second
	}
	if o.NoMediaTimeout <= 0 {
		o.NoMediaTimeout = 3 * time.Second
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	m := &Session{
		log: o.Log.With().Str("call", callID).Logger(), events: o.Events, clock: o.Clock, callID: callID,
		thr: o.Thresholds.withDefaults(), qEvery: o.QualityInterval, noRTP: o.NoMediaTimeout,
		rtpConn: rtpConn, rtcpConn: rtcpConn,
		ssrc: binary.BigEndian.Uint32(b[:4]), seq: binary.BigEndian.Uint16(b[4:6]),
		jb:          newJitterBuffer(1, 10),
		dtlsTimeout: dtlsHandshakeTimeout, dtlsGrace: dtlsRTCPGrace,
	}
	m.rtpPeer.latching, m.rtcpPeer.latching = !o.NoLatching, !o.NoLatching
	m.firstSeq = m.seq
	m.ts.Store(binary.BigEndian.Uint32(b[:4]) ^ 0x5a5a5a5a)
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// noEvents is the Sink of a session nobody listens to.
type noEvents struct{}

func (noEvents) NetworkIssue(NetworkIssue)    {}
func (noEvents) QualityReport(QualityReport)  {}
func (noEvents) QualityWarning(QualityReport) {}

func (m *Session) LocalPort() int { return m.rtpConn.LocalAddr().(*net.UDPAddr).Port }

// Start begins media with the negotiated parameters.
func (m *Session) Start(neg sdp.Agreement, audio Audio) error {
	enc, err := neg.Send.Codec.NewEncoder()
	if err != nil {
		return fmt.Errorf("encoder %s: %w", neg.Send.Name, err)
	}
	dec, err := neg.Send.Codec.NewDecoder()
	if err != nil {
		return fmt.Errorf("decoder %s: %w", neg.Send.Name, err)
	}
	info := neg.Send.Codec.Info()
	m.mu.Lock()
	m.neg, m.enc, m.dec, m.audio = neg, enc, dec, audio
	m.signalLocked(neg)
	m.frame = info.SampleRate * int(frameDur/time.Millisecond) / 1000
	m.tsStep = uint32(neg.Send.Rate * int(frameDur/time.Millisecond) / 1000)
	m.rx.clockRate = neg.Send.Rate
	m.lastRecv = m.clock.Now()
	queued := m.setDirectionLocked(neg.Direction, false)
	m.mu.Unlock()
	if queued {
		m.emitQueued()
	}
	m.wg.Add(3)
	go func() { defer m.wg.Done(); m.clockLoop() }()
	go func() { defer m.wg.Done(); m.recvLoop() }()
	go func() { defer m.wg.Done(); m.rtcpLoop() }()
	return nil
}

// Update applies a re-negotiation (hold, resume, a new remote address).
func (m *Session) Update(neg sdp.Agreement, localHold bool) {
	m.mu.Lock()
	if neg.Remote != nil && neg.Remote.Port != 0 {
		m.neg.Remote, m.neg.RemoteRTCP = neg.Remote, neg.RemoteRTCP
		m.signalLocked(neg)
	}
	m.neg.Direction = neg.Direction
	queued := m.setDirectionLocked(neg.Direction, localHold)
	m.mu.Unlock()
	if queued {
		m.emitQueued()
	}
}

// queueIssueLocked records that the stream's flow changed and queues
// the network.issue that says so; the caller then calls emitQueued once
// it has released mu. A consumer may call back into the call from the
// event, and must not find the media locked by its own emitter.
func (m *Session) queueIssueLocked(active bool, message string) {
	m.issue = active
	m.issues = append(m.issues, NetworkIssue{CallID: m.callID, Active: active, Message: message})
}

// emitQueued emits the queued events in the order they were decided,
// without holding mu. One caller at a time emits: another, or a consumer
// that calls back into the call and queues more, leaves its events to
// the one emitting, so the order holds and nothing waits for itself.
func (m *Session) emitQueued() {
	m.mu.Lock()
	if m.emitting {
		m.mu.Unlock()
		return
	}
	m.emitting = true
	for len(m.issues) > 0 {
		ev := m.issues[0]
		m.issues = m.issues[1:]
		m.mu.Unlock()
		m.events.NetworkIssue(ev)
		m.mu.Lock()
	}
	m.emitting = false
	m.mu.Unlock()
}

// signalLocked takes the remote addresses a negotiation named: a new
// one moves the stream there, the same one keeps its latch (latch.go).
func (m *Session) signalLocked(neg sdp.Agreement) {
	if m.rtpPeer.signal(addrPortOf(neg.Remote)) {
		m.log.Debug().Str("remote", m.rtpPeer.signalled.String()).Msg("rtp goes to the address the SDP named")
	}
	m.rtcpPeer.signal(addrPortOf(neg.RemoteRTCP))
}

// strangerLocked counts a datagram dropped for its source, and logs the
// first of each stream (a flood must not flood the log).
func (m *Session) strangerLocked(stream string, s *peerSource, from netip.AddrPort) {
	s.strangers++
	if !s.logged {
		s.logged = true
		m.log.Info().Str("stream", stream).Str("from", from.String()).Str("signalled", s.signalled.String()).
			Msg("media from an address the call's SDP did not name is dropped")
	}
}

// admitLocked classifies a datagram's source for a stream, counting the
// strangers'.
func (m *Session) admitLocked(stream string, s *peerSource, from netip.AddrPort) sourceKind {
	k := s.classify(from)
	if k == fromStranger {
		m.strangerLocked(stream, s, from)
	}
	return k
}

// acceptLocked takes a packet that proved itself (authenticated, or
// well-formed in a plain call) from a source admitLocked let through;
// false: drop it (the address changed meanwhile).
func (m *Session) acceptLocked(stream string, s *peerSource, from netip.AddrPort) bool {
	ok, moved := s.accept(from)
	if !ok {
		m.strangerLocked(stream, s, from)
		return false
	}
	if moved {
		m.log.Info().Str("stream", stream).Str("from", from.String()).Str("signalled", s.signalled.String()).
			Msg("latched to the peer's source port (symmetric RTP)")
	}
	return true
}

// setDirectionLocked decides what flows from the remote direction and
// whether we hold. An issue in progress ends when receiving stops:
// true means an event is queued for emitQueued.
func (m *Session) setDirectionLocked(remoteDir string, localHold bool) (queued bool) {
	m.sending = !localHold && (remoteDir == sdp.SendRecv || remoteDir == sdp.RecvOnly)
	m.receiving = !localHold && (remoteDir == sdp.SendRecv || remoteDir == sdp.SendOnly)
	m.lastRecv = m.clock.Now()
	if !m.receiving && m.issue {
		m.queueIssueLocked(false, "media paused")
		return true
	}
	return false
}

func (m *Session) SetMuted(v bool) {
	m.mu.Lock()
	m.muted = v
	m.mu.Unlock()
}

// SendDTMF queues digits for RFC 4733; it fails when telephone-event was
// not negotiated (the caller then falls back to SIP INFO).
func (m *Session) SendDTMF(digits string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.neg.DTMF == nil {
		return ErrNoTelephoneEvent
	}
	for _, d := range digits {
		code, ok := DTMFCode(d)
		if !ok {
			return fmt.Errorf("not a DTMF digit: %q", d)
		}
		m.dtmfQ = append(m.dtmfQ, code)
	}
	return nil
}

// ErrNoTelephoneEvent is SendDTMF's when telephone-event was not
// negotiated: the call then sends its digits another way.
var ErrNoTelephoneEvent = errors.New("telephone-event not negotiated")

// DTMFCode is the RFC 4733 event code of a DTMF digit; false: r is not one.
func DTMFCode(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r - '0'), true
	case r == '*':
		return 10, true
	case r == '#':
		return 11, true
	case r >= 'A' && r <= 'D':
		return byte(12 + r - 'A'), true
	case r >= 'a' && r <= 'd':
		return byte(12 + r - 'a'), true
	}
	return 0, false
}

func (m *Session) Stop() {
	m.cancel()
	m.mu.Lock()
	dr, dc := m.dtlsRTP, m.dtlsRTCP
	m.mu.Unlock()
	// DTLS first: its close_notify goes out on the sockets.
	for _, d := range []*dtlssrtp.Session{dr, dc} {
		if d != nil {
			_ = d.Close()
		}
	}
	m.rtpConn.Close()
	m.rtcpConn.Close()
	m.wg.Wait()
	m.mu.Lock()
	a := m.audio
	m.audio = Audio{}
	m.mu.Unlock()
	if a.Close != nil {
		a.Close()
	}
}

// writeRTP sends one packet; only the clock goroutine calls it (it owns
// txBuf and txSec).
func (m *Session) writeRTP(pkt *rtp.Packet) {
	if m.txBuf == nil {
		m.txBuf = make([]byte, 1500)
		m.tx = newRTPSender(m.rtpConn)
	}
	n, err := pkt.MarshalTo(m.txBuf)
	if err != nil {
		return
	}
	buf := m.txBuf[:n]
	m.mu.Lock()
	dst := m.rtpPeer.dest()
	m.sentPkts++
	m.sentBytes += uint32(len(pkt.Payload))
	sec := m.sec
	m.mu.Unlock()
	if sec != nil {
		if buf, err = sec.ProtectRTP(m.txSec[:0], buf); err != nil {
			return
		}
		m.txSec = buf[:0]
	}
	if dst.IsValid() {
		_ = m.tx.writeTo(buf, dst)
	}
}

// clockLoop is the call's 20 ms clock: each tick plays one frame to the
// speaker and sends one frame to the wire (one timer, one wake-up).
func (m *Session) clockLoop() {
	send, play := m.newSender(), m.newPlayer()
	// Frames are due by the media clock since the start, so a late wake-up
	// catches up instead of losing a frame (a ticker drops ticks nobody
	// was there to take, and the jitter buffer would then fill up). The
	// count is rounded to the nearest frame: the clock wakes about on the
	// frame boundaries, a little early or late, and truncating would then
	// play none in one wake-up and two in the next.
	start := m.clock.Now()
	clock := m.clock.newFrameClock(frameDur)
	defer clock.close()
	stop := context.AfterFunc(m.ctx, clock.close)
	defer stop()
	done := 0
	for {
		if err := clock.wait(); err != nil {
			if m.ctx.Err() == nil {
				m.log.Error().Err(err).Msg("media clock failed; the call's audio stops")
			}
			return
		}
		due := int((m.clock.Now().Sub(start) + frameDur/2) / frameDur)
		if due-done > 10 {
			done = due - 1 // stalled for long (suspend): do not burst
		}
		for ; done < due; done++ {
			play()
			send()
		}
	}
}

// newSender returns the step that sends one frame: audio, or
// telephone-event packets while a digit is being sent.
func (m *Session) newSender() func() {
	pcm := make([]int16, 960)
	payload := make([]byte, 1500)
	var (
		evCode   byte
		evActive bool
		evStart  uint32
		evFrames int
		evEnds   int
		gap      int
	)
	var pkt rtp.Packet // reused: a packet per frame would be garbage 50 times a second
	return func() {
		m.mu.Lock()
		sending, muted, frame, step := m.sending, m.muted, m.frame, m.tsStep
		src := m.audio.Source
		enc := m.enc
		var dtmfPT uint8
		if m.neg.DTMF != nil {
			dtmfPT = m.neg.DTMF.PT
		}
		if !evActive && gap == 0 && len(m.dtmfQ) > 0 {
			evCode, m.dtmfQ = m.dtmfQ[0], m.dtmfQ[1:]
			evActive, evStart, evFrames, evEnds = true, m.ts.Load(), 0, 0
		}
		m.mu.Unlock()

		// Read the microphone even when not sending, so a device's
		// buffer does not fill up.
		n := frame
		t0 := m.clock.Now()
		if src != nil {
			got, err := src.ReadPCM(pcm[:frame])
			if err != nil || got < frame {
				clear(pcm[max(got, 0):frame])
			}
		} else {
			clear(pcm[:frame])
		}
		if !sending {
			m.ts.Add(step)
			return
		}
		if evActive {
			// 100 ms of tone (5 packets), then 3 end packets, all with the
			// event's start timestamp (RFC 4733 §2.5).
			evFrames++
			end := evFrames > 5
			dur := uint16(min(evFrames, 5)) * uint16(step)
			ev := codec.Event{Code: evCode, End: end, Volume: 10, Duration: dur}
			k, _ := codec.EncodeEvent(payload, ev)
			pkt.Header = rtp.Header{Version: 2, Marker: evFrames == 1, PayloadType: dtmfPT,
				SequenceNumber: m.nextSeq(), Timestamp: evStart, SSRC: m.ssrc}
			pkt.Payload = payload[:k]
			m.writeRTP(&pkt)
			if end {
				evEnds++
				if evEnds == 3 {
					evActive = false
					gap = 2 // 40 ms between digits
				}
			}
			m.ts.Add(step)
			return
		}
		if gap > 0 {
			gap--
		}
		if muted {
			clear(pcm[:n])
		}
		k, err := enc.Encode(payload, pcm[:n])
		if err != nil {
			m.ts.Add(step)
			return
		}
		pkt.Header = rtp.Header{Version: 2, PayloadType: m.neg.Send.PT,
			SequenceNumber: m.nextSeq(), Timestamp: m.ts.Load(), SSRC: m.ssrc}
		pkt.Payload = payload[:k]
		m.writeRTP(&pkt)
		m.mu.Lock()
		m.sendDelay += m.clock.Now().Sub(t0)
		m.sendCount++
		m.mu.Unlock()
		m.ts.Add(step)
	}
}

func (m *Session) nextSeq() uint16 {
	s := m.seq
	m.seq++
	return s
}

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
	if m.receiving {
		m.jb.push(pkt.SequenceNumber, pkt.Payload, now)
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
		m.jb.reset(pkt.SequenceNumber)
	}
	if m.rx.clockRate > 0 {
		m.jb.setTarget(jitterTargetFrames(m.rx.jitterMs()))
	}
}

// newPlayer returns the step that releases one frame to the speaker,
// concealing a lost packet with the codec's concealment or a faded copy
// of the last frame.
func (m *Session) newPlayer() func() {
	pcm := make([]int16, 960)
	lost := newConcealer(960)
	return func() {
		m.mu.Lock()
		payload, at, ok, missing := m.jb.pop()
		if ok && !missing {
			m.bufDelay += m.clock.Now().Sub(at)
			m.bufCount++
		}
		dec, frame, sink := m.dec, m.frame, m.audio.Sink
		m.addedDelay = time.Duration(m.jb.depth()+1) * frameDur
		beep := m.waiting
		m.mu.Unlock()
		if sink == nil || frame == 0 {
			return
		}
		if !ok {
			// Nothing to play (on hold, or a gap): the call-waiting
			// tone still sounds.
			if beep != nil {
				clear(pcm[:frame])
				beep.mix(pcm[:frame])
				_, _ = sink.WritePCM(pcm[:frame])
			}
			return
		}
		var n int
		if missing {
			n = lost.conceal(dec, pcm, frame)
		} else {
			k, err := dec.Decode(pcm, payload)
			if err != nil {
				clear(pcm[:frame])
				k = frame
			}
			n = k
			lost.good(pcm[:n])
		}
		if beep != nil {
			beep.mix(pcm[:n])
		}
		_, _ = sink.WritePCM(pcm[:n])
	}
}

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
	silent := m.receiving && !m.issue && now.Sub(m.lastRecv) > m.noRTP
	if silent {
		m.log.Warn().Dur("silentFor", now.Sub(m.lastRecv)).Msg("no RTP from the remote side")
		m.queueIssueLocked(true, "a network issue is disrupting your phone device")
	}
	m.mu.Unlock()
	if silent {
		m.emitQueued()
	}
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
	return q
}

func (m *Session) report() {
	m.mu.Lock()
	active := m.receiving || m.sending
	m.mu.Unlock()
	if !active {
		return
	}
	// A receiver report refreshes the interval loss figures first.
	m.sendReport(m.clock.Now())
	q := m.Snapshot()
	m.events.QualityReport(q)
	if w := m.thr.warnings(q); len(w) > 0 {
		q.Warnings = w
		m.events.QualityWarning(q)
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
	// RTPFromStrangers and RTCPFromStrangers count the datagrams dropped
	// because they came from an address that is not the peer's
	// (latch.go).
	RTPFromStrangers, RTCPFromStrangers uint64
}

func (m *Session) Stats() MediaStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := MediaStats{Played: m.jb.played, Concealed: m.jb.concealed, Late: m.jb.late, Dropped: m.jb.dropped,
		JitterBufferFrames: m.jb.target, JitterBufferMax: m.jb.max,
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
