package live

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// SenderOptions configure a Sender. The callbacks run on pion's
// goroutines: they must not block.
type SenderOptions struct {
	ICE ICEConfig
	// OnCandidate receives each local ICE candidate for the page to relay.
	OnCandidate func(candidate string)
	// OnState is told each change; StateEnded comes once, last.
	OnState func(st State, reason string)
}

// Sender is the agent's side of one stream: it offers a VP8 track, takes
// the viewer's answer and candidates, and sends the frames it is given.
type Sender struct {
	pc       *webrtc.PeerConnection
	track    *webrtc.TrackLocalStaticSample
	rtp      *webrtc.RTPSender
	cands    candidates
	keyframe chan struct{}
	state    stateTeller
	rtcpDone chan struct{}

	mu       sync.Mutex
	offered  bool
	answered bool
	closed   bool
}

// ErrWrongState is returned when a step of the signalling comes out of
// order (an answer before the offer, a second answer).
var ErrWrongState = errors.New("wrong state")

// NewSender makes a Sender with its track; Offer starts the signalling.
// The Sender owns a goroutine that reads the viewer's RTCP; Close ends it.
func NewSender(o SenderOptions) (*Sender, error) {
	pc, err := newPeer(o.ICE)
	if err != nil {
		return nil, err
	}
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "screen", "bpclient-screen")
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("new vp8 track: %w", err)
	}
	tr, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("add vp8 track: %w", err)
	}
	s := &Sender{pc: pc, track: track, rtp: tr.Sender(), keyframe: make(chan struct{}, 1), rtcpDone: make(chan struct{})}
	s.cands.pc = pc
	s.state.f = o.OnState
	onLocalCandidate(pc, o.OnCandidate)
	pc.OnConnectionStateChange(func(cs webrtc.PeerConnectionState) {
		if st, reason, ok := stateOf(cs); ok {
			if st == StateLive { // the viewer's first picture must be a keyframe
				s.RequestKeyframe()
			}
			s.state.tell(st, reason)
		}
	})
	go s.readRTCP()
	return s, nil
}

// readRTCP turns the viewer's picture-loss and full-intra requests into
// keyframe requests; it ends when the peer connection closes.
func (s *Sender) readRTCP() {
	defer close(s.rtcpDone)
	for {
		pkts, _, err := s.rtp.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.RequestKeyframe()
			}
		}
	}
}

// Offer returns the SDP offer; candidates follow through OnCandidate.
func (s *Sender) Offer() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.offered {
		return "", fmt.Errorf("%w: offer: already offered or closed", ErrWrongState)
	}
	offer, err := s.pc.CreateOffer(nil)
	if err != nil {
		return "", fmt.Errorf("create offer: %w", err)
	}
	if err := s.pc.SetLocalDescription(offer); err != nil {
		return "", fmt.Errorf("set local offer: %w", err)
	}
	s.offered = true
	s.state.tell(StateConnecting, "")
	return offer.SDP, nil
}

// Answer applies the viewer's SDP answer.
func (s *Sender) Answer(sdp string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return fmt.Errorf("%w: answer: the stream has ended", ErrWrongState)
	case !s.offered:
		return fmt.Errorf("%w: answer before the offer", ErrWrongState)
	case s.answered:
		return fmt.Errorf("%w: answer: already answered", ErrWrongState)
	}
	if err := checkSDP(sdp); err != nil {
		return err
	}
	if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("%w: apply answer: %v", ErrBadSDP, err)
	}
	s.answered = true
	return s.cands.remoteSet()
}

// AddCandidate applies one of the viewer's ICE candidates.
func (s *Sender) AddCandidate(c string) error { return s.cands.add(c) }

// KeyframeRequests delivers a value when the viewer needs a keyframe (it
// started, or lost a picture); the source forces one on its next frame.
func (s *Sender) KeyframeRequests() <-chan struct{} { return s.keyframe }

// RequestKeyframe asks the source for a keyframe as the viewer would.
func (s *Sender) RequestKeyframe() {
	select {
	case s.keyframe <- struct{}{}:
	default: // one is pending already
	}
}

// WriteFrame sends one encoded VP8 frame lasting d (the frame interval).
// Before the stream is live frames are dropped, which is what a viewer
// that has not yet connected would see anyway.
func (s *Sender) WriteFrame(data []byte, d time.Duration) error {
	if err := s.track.WriteSample(media.Sample{Data: data, Duration: d}); err != nil {
		return fmt.Errorf("send vp8 frame: %w", err)
	}
	return nil
}

// Close ends the stream and waits for the RTCP reader.
func (s *Sender) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.state.tell(StateEnded, ReasonStopped)
	err := s.pc.Close()
	<-s.rtcpDone
	if err != nil {
		return fmt.Errorf("close peer connection: %w", err)
	}
	return nil
}
