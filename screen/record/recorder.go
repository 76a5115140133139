// Package record is the screen recorder: frames from a Feed (at the
// recording's fps, on an injected clock) are scaled, encoded as VP8 and
// cut into WebM segments of segmentSeconds, each starting with a
// keyframe, which go to a Sink (the upload spool). Pause closes the
// segment under way and holds the feed, so that nothing of the paused
// time is grabbed or kept, for the recording or a live monitoring on the
// same feed (PCI); resume starts a new segment.
package record

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/screen"
)

// State is a recorder's state.
type State string

// The states; a Recorder goes idle → recording ⇄ paused → stopped.
const (
	Idle      State = "idle"
	Recording State = "recording"
	Paused    State = "paused"
	Stopped   State = "stopped"
)

// Reasons a recording changes state (the words pages see).
const (
	ReasonStarted       = "started"
	ReasonPaused        = "paused"
	ReasonResumed       = "resumed"
	ReasonStopped       = "stopped"
	ReasonCaptureFailed = "capture-failed"
	ReasonEncodeFailed  = "encode-failed"
	ReasonSpoolFailed   = "spool-failed"
)

// Defaults and bounds of Config.
const (
	DefaultFPS            = 2
	MinFPS, MaxFPS        = 1, 10
	DefaultMaxWidth       = 1920
	DefaultSegmentSeconds = 10
	// maxGrabFailures in a row stop the recording.
	maxGrabFailures = 5
)

// ErrWrongState: pause, resume or stop in a state that has none.
var ErrWrongState = errors.New("recorder: wrong state")

// Config is one recording's settings.
type Config struct {
	RecordingID    string
	FPS            int
	MaxWidth       int
	SegmentSeconds int
}

// Options build a Recorder.
type Options struct {
	Config
	Feed  *Feed
	Parts Parts
	Sink  Sink
	// OnState hears every change of state, with its reason; called
	// without the recorder's lock held, in order.
	OnState func(s State, reason string)
	Logger  zerolog.Logger
}

// Recorder records one recording from a Feed.
type Recorder struct {
	o   Options
	log zerolog.Logger

	// stateMu orders the changes of state and their OnState calls.
	stateMu sync.Mutex
	mu      sync.Mutex // what Frame and the controls share
	state   State
	reason  string

	enc          Encoder
	encW, encH   int
	scaled       screen.Frame
	seg          Segment
	segBuf       bytes.Buffer
	segStart     time.Time
	segNumber    int
	segFrames    int
	grabFailures int
	stopping     bool // a failure's stop is under way
	stats        Stats

	wg sync.WaitGroup // a stop the recorder started itself
}

// Stats count what a recorder did.
type Stats struct {
	Frames   int `json:"frames"`
	Segments int `json:"segments"`
}

// New returns an idle recorder; Start starts it.
func New(o Options) (*Recorder, error) {
	if o.RecordingID == "" || o.Feed == nil || o.Sink == nil || o.Parts.NewEncoder == nil || o.Parts.NewSegment == nil {
		return nil, errors.New("recorder: recording id, feed, sink, encoder and segment writer are required")
	}
	if o.FPS == 0 {
		o.FPS = DefaultFPS
	}
	if o.FPS < MinFPS || o.FPS > MaxFPS {
		return nil, fmt.Errorf("recorder: fps %d: want %d to %d", o.FPS, MinFPS, MaxFPS)
	}
	if o.MaxWidth == 0 {
		o.MaxWidth = DefaultMaxWidth
	}
	if o.SegmentSeconds == 0 {
		o.SegmentSeconds = DefaultSegmentSeconds
	}
	if o.OnState == nil {
		o.OnState = func(State, string) {}
	}
	return &Recorder{o: o, log: o.Logger.With().Str("svc", "recorder").Str("recording", o.RecordingID).Logger(), state: Idle}, nil
}

// State is the recorder's state and the reason it got there.
func (r *Recorder) State() (State, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state, r.reason
}

// Stats says how many frames and segments the recording has.
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Start begins recording.
func (r *Recorder) Start() error {
	return r.change(Idle, Recording, ReasonStarted, func() error { return r.o.Feed.Subscribe(r, r.o.FPS) })
}

// Pause closes the segment under way and holds the feed until Resume:
// when Pause returns, no frame is being grabbed, for the recorder or for
// anybody else on the feed (a live monitoring must not show what a
// paused recording may not keep).
func (r *Recorder) Pause() error {
	return r.change(Recording, Paused, ReasonPaused, func() error {
		r.o.Feed.Hold(r)
		r.o.Feed.Unsubscribe(r)
		r.mu.Lock()
		r.closeSegmentLocked()
		r.mu.Unlock()
		return nil
	})
}

// Resume records again, from a new segment, and lets the feed grab.
func (r *Recorder) Resume() error {
	return r.change(Paused, Recording, ReasonResumed, func() error {
		if err := r.o.Feed.Subscribe(r, r.o.FPS); err != nil {
			return err
		}
		r.o.Feed.Release(r)
		return nil
	})
}

// Stop ends the recording for reason (ReasonStopped when ""): the last
// segment goes to the sink and the sink hears the end. A second Stop is
// ErrWrongState.
func (r *Recorder) Stop(reason string) error {
	if reason == "" {
		reason = ReasonStopped
	}
	return r.change("", Stopped, reason, func() error {
		r.o.Feed.Unsubscribe(r)
		r.o.Feed.Release(r)
		r.mu.Lock()
		r.closeSegmentLocked()
		if r.enc != nil {
			r.enc.Close()
			r.enc = nil
		}
		r.mu.Unlock()
		if err := r.o.Sink.End(r.o.RecordingID); err != nil {
			r.log.Warn().Err(err).Msg("recorder: ending the spooled recording")
		}
		return nil
	})
}

// Wait returns once a stop the recorder started itself (a failure) has
// finished.
func (r *Recorder) Wait() { r.wg.Wait() }

// change moves from (any but Stopped when from is "") to to, running do
// between; OnState hears it after. When do fails the state stays.
func (r *Recorder) change(from, to State, reason string, do func() error) error {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	r.mu.Lock()
	cur := r.state
	if (from != "" && cur != from) || (from == "" && (cur == Stopped || cur == Idle)) {
		r.mu.Unlock()
		return fmt.Errorf("%w: %s while %s", ErrWrongState, to, cur)
	}
	r.mu.Unlock()
	if err := do(); err != nil {
		return err
	}
	r.mu.Lock()
	r.state, r.reason = to, reason
	r.mu.Unlock()
	r.log.Info().Str("state", string(to)).Str("reason", reason).Msg("screen recording")
	r.o.OnState(to, reason)
	return nil
}

// Frame implements Consumer: one grabbed frame into the segment.
func (r *Recorder) Frame(f *screen.Frame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != Recording || r.stopping {
		return // never kept: the feed should not have called
	}
	r.grabFailures = 0
	if err := r.frameLocked(f); err != nil {
		r.log.Error().Err(err).Msg("recorder: frame")
		r.failLocked(ReasonEncodeFailed)
	}
}

// GrabFailed implements Consumer.
func (r *Recorder) GrabFailed(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != Recording || r.stopping {
		return
	}
	r.grabFailures++
	r.log.Warn().Err(err).Int("inARow", r.grabFailures).Msg("recorder: grab failed")
	if r.grabFailures >= maxGrabFailures {
		r.failLocked(ReasonCaptureFailed)
	}
}

// failLocked stops the recording from the feed's goroutine, which must
// not wait on itself: the stop runs beside it, and no frame is taken
// meanwhile.
func (r *Recorder) failLocked(reason string) {
	if r.stopping {
		return
	}
	r.stopping = true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		_ = r.Stop(reason)
	}()
}

func (r *Recorder) frameLocked(f *screen.Frame) error {
	src := f
	w, h := OutputSize(f.Width, f.Height, r.o.MaxWidth)
	if r.o.Parts.Scale != nil {
		r.o.Parts.Scale(&r.scaled, f, r.o.MaxWidth)
		r.scaled.Time = f.Time
		src, w, h = &r.scaled, r.scaled.Width, r.scaled.Height
	}
	if r.enc != nil && (w != r.encW || h != r.encH) {
		// The screen changed size: a segment has one size.
		r.closeSegmentLocked()
		r.enc.Close()
		r.enc = nil
	}
	if r.enc == nil {
		enc, err := r.o.Parts.NewEncoder(w, h, r.o.FPS)
		if err != nil {
			return fmt.Errorf("encoder %dx%d: %w", w, h, err)
		}
		r.enc, r.encW, r.encH = enc, w, h
	}
	// A frame within half a period of the boundary opens the next
	// segment: ticks jitter, and a frame due at 10 s must not be the
	// 21st of a 10 s segment at 2 fps because it came a moment early.
	segLen := time.Duration(r.o.SegmentSeconds)*time.Second - time.Second/time.Duration(2*r.o.FPS)
	if r.seg != nil && f.Time.Sub(r.segStart) >= segLen {
		r.closeSegmentLocked()
	}
	first := r.seg == nil
	if first {
		r.segBuf.Reset()
		seg, err := r.o.Parts.NewSegment(&r.segBuf, w, h)
		if err != nil {
			return fmt.Errorf("segment: %w", err)
		}
		r.seg, r.segStart, r.segFrames = seg, f.Time, 0
		r.segNumber++
	}
	data, key, err := r.enc.Encode(src, first)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if first && !key {
		return errors.New("encode: the encoder gave no keyframe at a segment's start")
	}
	if err := r.seg.WriteFrame(data, key, f.Time.Sub(r.segStart)); err != nil {
		return fmt.Errorf("segment %d: %w", r.segNumber, err)
	}
	r.segFrames++
	r.stats.Frames++
	return nil
}

// closeSegmentLocked finishes the segment under way and hands it to the
// sink.
func (r *Recorder) closeSegmentLocked() {
	if r.seg == nil {
		return
	}
	err := r.seg.Close()
	r.seg = nil
	if err != nil {
		r.log.Error().Err(err).Int("segment", r.segNumber).Msg("recorder: closing a segment; it is lost")
		return
	}
	if err := r.o.Sink.Add(r.o.RecordingID, r.segNumber, r.segBuf.Bytes()); err != nil {
		r.log.Error().Err(err).Int("segment", r.segNumber).Msg("recorder: spooling a segment")
		return
	}
	r.stats.Segments++
}
