package live

import "context"

// Source gives a Sender its frames: the screen captured and encoded to
// VP8 at the rate and size asked for. The capture and encoder of
// screen/capture and screen/vp8 make one (Capture), the recorder's
// fan-out another, and the tests one over ffmpeg.
type Source interface {
	// Stream calls send with each encoded frame until ctx ends or send
	// fails, and returns why it stopped. A value on keyframe asks for
	// the next frame to be a keyframe; the first frame is one anyway.
	Stream(ctx context.Context, p StreamParams, keyframe <-chan struct{}, send func(frame []byte, key bool) error) error
}

// Checker is a Source that can tell before a stream whether it can
// serve one (CaptureSource opens the screen); the monitoring service
// asks it when a monitoring is offered.
type Checker interface {
	Check() error
}
