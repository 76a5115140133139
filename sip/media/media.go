package media

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
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

// FrameSource is a PCMSource that says when a frame is ready: the
// session then sends each frame as the device hands it over (the device
// sets the packets' pace, the far end's jitter buffer takes its
// burstiness) instead of on its 20 ms clock, which only fills in when
// the device stalls or runs slow (pace.go). ReadPCM is then not called.
type FrameSource interface {
	PCMSource
	// NotifyPCM sets the function the source calls, from its own
	// goroutine and holding none of its locks, each time a frame is
	// ready; nil stops the calls.
	NotifyPCM(ready func())
	// NextPCM copies the oldest waiting frame into buf and returns its
	// length and how many frames still wait behind it; ok is false, and
	// nothing is copied, when none waits. It never blocks.
	NextPCM(buf []int16) (n, left int, ok bool)
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
	// PacketsReceived counts the RTP packets of the other side received
	// since the call began: 0 on a connected call is a firewall or NAT
	// dropping its audio.
	PacketsReceived uint64 `json:"packetsReceived"`
	// MicPeak is the loudest microphone sample the call sent so far, as
	// a share of full scale (0..1; muted frames left out); absent until
	// one frame was sent. Near 0 throughout: the microphone is muted at
	// the computer, or the wrong device.
	MicPeak *float64 `json:"micPeak,omitempty"`
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
	// mic measures what the call sent from the microphone (miclevel.go).
	mic micLevel

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
	seq       uint16        // the sender's own
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

	// Discontinuous transmission (G.729 Annex B): dtxIdx places a DTX
	// stream's packets in jb (dtxindex.go); lastRTCPRecv is when the
	// peer's RTCP last came, which shows its silence alive
	// (dtxAliveLocked); sentSID and playedSID count the packets sent
	// and played that ended in a SID frame.
	dtxIdx             dtxIndex
	lastRTCPRecv       time.Time
	sentSID, playedSID int
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
		jb:          newJitterBuffer(jitterBufferFrames),
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
