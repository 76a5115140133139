package live

import (
	"context"
	"fmt"
	"time"

	"github.com/openbpclient/bpclient/screen"
)

// Grabber takes pictures of the screen; screen/capture's Capturer is one.
type Grabber interface {
	Grab(f *screen.Frame) error
	Close() error
}

// Encoder encodes pictures to VP8 at the size it was made for; an
// adapter over screen/vp8's Encoder is one (ScreenSource).
type Encoder interface {
	Encode(f *screen.Frame, forceKey bool) (data []byte, key bool, err error)
	Close()
}

// CaptureSource is a Source that grabs the screen and encodes it itself,
// fps times a second. A capture of its own, opened when a stream starts
// and closed when it ends. The agent uses FeedSource instead, over the
// capture it shares with recording (issue 16: "one capture"); this one
// serves where there is no recorder (tests, a viewer-only tool).
type CaptureSource struct {
	// OpenCapture opens the screen for one stream.
	OpenCapture func() (Grabber, error)
	// NewEncoder makes an encoder of width×height pictures at fps.
	NewEncoder func(width, height, fps int) (Encoder, error)
	// OutputSize is the size a width×height screen is sent at for at
	// most maxWidth pixels across.
	OutputSize func(width, height, maxWidth int) (w, h int)
	// NewTicker is the clock; nil is time.NewTicker.
	NewTicker func(d time.Duration) (tick <-chan time.Time, stop func())
}

// Check opens the screen and closes it again, so that a monitoring that
// cannot capture (no X display, Wayland, macOS in this build) is refused
// when it is offered, with why, rather than failing once connected.
func (s *CaptureSource) Check() error {
	g, err := s.OpenCapture()
	if err != nil {
		return fmt.Errorf("open the screen: %w", err)
	}
	return g.Close()
}

// Stream implements Source.
func (s *CaptureSource) Stream(ctx context.Context, p StreamParams, keyframe <-chan struct{}, send func([]byte, bool) error) error {
	g, err := s.OpenCapture()
	if err != nil {
		return fmt.Errorf("open the screen: %w", err)
	}
	defer g.Close()
	newTicker := s.NewTicker
	if newTicker == nil {
		newTicker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	tick, stop := newTicker(time.Second / time.Duration(p.FPS))
	defer stop()
	st := &encodeState{newEncoder: s.NewEncoder, outputSize: s.OutputSize, p: p}
	defer st.close()
	var f screen.Frame
	force := true
	for {
		if err := g.Grab(&f); err != nil {
			return fmt.Errorf("grab the screen: %w", err)
		}
		if err := st.encodeAndSend(&f, force, send); err != nil {
			return err
		}
		force = false
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-keyframe:
			force = true
			select { // the keyframe goes with the next tick, at the stream's rate
			case <-ctx.Done():
				return ctx.Err()
			case <-tick:
			}
		case <-tick:
		}
	}
}

// encodeState is the encoder of a stream, made again when the screen's
// size changes (a monitor plugged in or out).
type encodeState struct {
	newEncoder func(width, height, fps int) (Encoder, error)
	outputSize func(width, height, maxWidth int) (w, h int)
	p          StreamParams
	enc        Encoder
	srcW, srcH int
}

func (e *encodeState) encode(f *screen.Frame, force bool) ([]byte, bool, error) {
	if e.enc == nil || f.Width != e.srcW || f.Height != e.srcH {
		e.close()
		w, h := e.outputSize(f.Width, f.Height, e.p.MaxWidth)
		enc, err := e.newEncoder(w, h, e.p.FPS)
		if err != nil {
			return nil, false, fmt.Errorf("vp8 encoder for %dx%d: %w", w, h, err)
		}
		e.enc, e.srcW, e.srcH, force = enc, f.Width, f.Height, true
	}
	data, key, err := e.enc.Encode(f, force)
	if err != nil {
		return nil, false, fmt.Errorf("encode %dx%d: %w", f.Width, f.Height, err)
	}
	return data, key, nil
}

// encodeAndSend encodes f (a keyframe when force) and sends it.
func (e *encodeState) encodeAndSend(f *screen.Frame, force bool, send func([]byte, bool) error) error {
	data, key, err := e.encode(f, force)
	if err != nil {
		return err
	}
	return send(data, key)
}

func (e *encodeState) close() {
	if e.enc != nil {
		e.enc.Close()
		e.enc = nil
	}
}
