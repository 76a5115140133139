package live

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// ICE timers: see newPeer.
const (
	iceDisconnected = 3 * time.Second
	iceFailed       = 8 * time.Second
	iceKeepAlive    = time.Second
)

// vp8PayloadType is the payload type both sides offer for VP8; the answer
// may name another, pion follows it.
const vp8PayloadType = 96

// ICEConfig is where candidates come from. The zero value is host
// candidates only, loopback included: the helper asks no STUN or TURN
// server unless ICEServers names one (the admin policy's, later).
type ICEConfig struct {
	ICEServers []webrtc.ICEServer
	// LoggerFactory receives pion's own logs; nil drops them (what pion
	// logs may hold SDP, whose ICE password is a credential).
	LoggerFactory logging.LoggerFactory
}

// ErrBadSDP is returned when an offer or answer cannot be applied.
var ErrBadSDP = errors.New("bad sdp")

// ErrBadCandidate is returned when an ICE candidate cannot be applied.
var ErrBadCandidate = errors.New("bad ice candidate")

// newPeer makes a peer connection that speaks VP8 with NACK, PLI and FIR
// feedback, gathering host candidates on UDP only.
func newPeer(cfg ICEConfig) (*webrtc.PeerConnection, error) {
	m := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: fb},
		PayloadType:        vp8PayloadType,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("register vp8: %w", err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(m, reg); err != nil {
		return nil, fmt.Errorf("configure nack: %w", err)
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, fmt.Errorf("configure rtcp reports: %w", err)
	}
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// A viewer that vanishes without a stop (a closed laptop) ends the
	// stream within seconds rather than pion's default half minute.
	se.SetICETimeouts(iceDisconnected, iceFailed, iceKeepAlive)
	lf := cfg.LoggerFactory
	if lf == nil {
		lf = quietLogs()
	}
	se.LoggerFactory = lf
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: cfg.ICEServers})
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	return pc, nil
}

func quietLogs() logging.LoggerFactory {
	f := logging.NewDefaultLoggerFactory()
	f.DefaultLogLevel = logging.LogLevelDisabled
	f.Writer = io.Discard
	return f
}

// candidates applies the remote side's trickled candidates, keeping those
// that come before the remote description (pages relay in any order).
type candidates struct {
	mu      sync.Mutex
	pc      *webrtc.PeerConnection
	remote  bool
	pending []string
}

// add applies c, or keeps it until the remote description is set. An
// empty candidate ends the remote side's gathering and is ignored.
func (q *candidates) add(c string) error {
	if c == "" {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.remote {
		if len(q.pending) >= maxPendingCandidates {
			return fmt.Errorf("%w: more than %d before the sdp", ErrBadCandidate, maxPendingCandidates)
		}
		q.pending = append(q.pending, c)
		return nil
	}
	return q.applyLocked(c)
}

// maxPendingCandidates bounds what a page may queue before the sdp.
const maxPendingCandidates = 64

func (q *candidates) applyLocked(c string) error {
	if err := q.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c}); err != nil {
		return fmt.Errorf("%w: %v", ErrBadCandidate, err)
	}
	return nil
}

// remoteSet applies the candidates kept so far; a bad one among them is
// reported, the others still applied.
func (q *candidates) remoteSet() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.remote = true
	var first error
	for _, c := range q.pending {
		if err := q.applyLocked(c); err != nil && first == nil {
			first = err
		}
	}
	q.pending = nil
	return first
}

// onLocalCandidate hands each gathered candidate to f as the string the
// pages carry; the end of gathering is not told.
func onLocalCandidate(pc *webrtc.PeerConnection, f func(string)) {
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil || f == nil {
			return
		}
		f(c.ToJSON().Candidate)
	})
}
