package live

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/openbpclient/bpclient/screen"
)

// Decoder turns VP8 frames into pictures; screen/vp8's Decoder is one.
type Decoder interface {
	Decode(data []byte, f *screen.Frame) error
	Close()
}

// ViewerOptions configure a Viewer. The callbacks run on the Viewer's or
// pion's goroutines: OnCandidate and OnState must not block.
type ViewerOptions struct {
	ICE         ICEConfig
	OnCandidate func(candidate string)
	OnState     func(st State, reason string)
	// Decoder decodes the frames; the Viewer closes it.
	Decoder Decoder
	// OnFrame receives each decoded picture; f is valid until it returns.
	OnFrame func(f *screen.Frame)
	// Now is the clock of the keyframe requests; nil is time.Now.
	Now func() time.Time
}

// keyframeRetry is how often a viewer waiting for a keyframe asks again
// (the first request, or the keyframe itself, may be lost).
const keyframeRetry = 500 * time.Millisecond

// ViewerStats count what a Viewer received.
type ViewerStats struct {
	Frames           int64 // decoded
	Bytes            int64 // VP8 payload put together into frames
	KeyframeRequests int64 // PLIs sent
}

// Viewer is the supervisor's side of one stream: it answers the agent's
// offer, receives the VP8 track and decodes it.
type Viewer struct {
	o     ViewerOptions
	pc    *webrtc.PeerConnection
	cands candidates
	state stateTeller
	wg    sync.WaitGroup // the track reader

	frames, bytes, plis atomic.Int64

	mu       sync.Mutex
	accepted bool
	closed   bool
}

// NewViewer makes a Viewer; Accept takes the offer.
func NewViewer(o ViewerOptions) (*Viewer, error) {
	if o.Decoder == nil {
		return nil, errors.New("new viewer: no decoder")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	pc, err := newPeer(o.ICE)
	if err != nil {
		o.Decoder.Close()
		return nil, err
	}
	v := &Viewer{o: o, pc: pc}
	v.cands.pc = pc
	v.state.f = o.OnState
	onLocalCandidate(pc, o.OnCandidate)
	pc.OnConnectionStateChange(func(cs webrtc.PeerConnectionState) {
		if st, reason, ok := stateOf(cs); ok {
			v.state.tell(st, reason)
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if t.Kind() != webrtc.RTPCodecTypeVideo {
			return
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.closed {
			return
		}
		v.wg.Add(1)
		go func() { defer v.wg.Done(); v.read(t) }()
	})
	return v, nil
}

// Accept applies the agent's offer and returns the answer; candidates
// follow through OnCandidate.
func (v *Viewer) Accept(offer string) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed || v.accepted {
		return "", fmt.Errorf("%w: accept: already accepted or closed", ErrWrongState)
	}
	if err := checkSDP(offer); err != nil {
		return "", err
	}
	if err := v.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: apply offer: %v", ErrBadSDP, err)
	}
	answer, err := v.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: answer the offer: %v", ErrBadSDP, err)
	}
	if err := v.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("set local answer: %w", err)
	}
	v.accepted = true
	v.state.tell(StateConnecting, "")
	if err := v.cands.remoteSet(); err != nil {
		return "", err
	}
	return answer.SDP, nil
}

// AddCandidate applies one of the agent's ICE candidates.
func (v *Viewer) AddCandidate(c string) error { return v.cands.add(c) }

// Stats are the counts so far.
func (v *Viewer) Stats() ViewerStats {
	return ViewerStats{Frames: v.frames.Load(), Bytes: v.bytes.Load(), KeyframeRequests: v.plis.Load()}
}

// read receives the track until the peer connection closes.
func (v *Viewer) read(t *webrtc.TrackRemote) {
	asm := newAssembler()
	var pic screen.Frame
	var lastPLI time.Time
	ssrc := uint32(t.SSRC())
	for {
		p, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		data, _ := asm.push(p)
		if data != nil {
			v.bytes.Add(int64(len(data)))
			if err := v.o.Decoder.Decode(data, &pic); err != nil {
				asm.lostPicture()
			} else {
				v.frames.Add(1)
				if v.o.OnFrame != nil {
					v.o.OnFrame(&pic)
				}
			}
		}
		if now := v.o.Now(); asm.waitingKey() && now.Sub(lastPLI) >= keyframeRetry {
			lastPLI = now
			v.plis.Add(1)
			_ = v.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
		}
	}
}

// Close ends the stream, waits for the track reader and closes the
// decoder.
func (v *Viewer) Close() error {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return nil
	}
	v.closed = true
	v.mu.Unlock()
	v.state.tell(StateEnded, ReasonStopped)
	err := v.pc.Close()
	v.wg.Wait()
	v.o.Decoder.Close()
	if err != nil {
		return fmt.Errorf("close peer connection: %w", err)
	}
	return nil
}
