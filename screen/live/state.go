package live

import "github.com/pion/webrtc/v4"

// State is where a stream is.
type State string

// The states a Sender or Viewer reports.
const (
	StateConnecting State = "connecting" // signalling or ICE/DTLS under way
	StateLive       State = "live"       // connected: frames flow
	StateEnded      State = "ended"      // stopped, failed or closed; final
	// StatePaused: connected, but the screen is private (a recording
	// paused) and no frame is sent; StateLive with ReasonResumed follows.
	StatePaused State = "paused"
)

// Reasons of StatePaused and of the StateLive after it.
const (
	ReasonPaused  = "paused"
	ReasonResumed = "resumed"
)

// Reasons of StateEnded.
const (
	ReasonStopped      = "stopped"      // Close was called
	ReasonFailed       = "failed"       // ICE or DTLS failed
	ReasonDisconnected = "disconnected" // the peer went away
)

// stateOf maps pion's connection state to ours; ok is false for the
// states that change nothing.
func stateOf(s webrtc.PeerConnectionState) (st State, reason string, ok bool) {
	switch s {
	case webrtc.PeerConnectionStateConnected:
		return StateLive, "", true
	case webrtc.PeerConnectionStateFailed:
		return StateEnded, ReasonFailed, true
	case webrtc.PeerConnectionStateClosed:
		return StateEnded, ReasonDisconnected, true
	}
	return "", "", false
}
