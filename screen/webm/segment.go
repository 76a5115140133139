// Package webm writes VP8 frames as WebM segments: each segment is a
// whole WebM file (header, one video track, clusters of SimpleBlocks)
// that plays on its own, starting with a keyframe, its times counted from
// the segment's start. The muxing is github.com/at-wat/ebml-go's.
package webm

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/at-wat/ebml-go/mkvcore"
	"github.com/at-wat/ebml-go/webm"
)

// SegmentWriter writes one segment. It is used from one goroutine at a
// time; ebml-go's own writer goroutine ends in Close.
type SegmentWriter struct {
	out     *stickyWriter
	track   webm.BlockWriteCloser
	frames  int
	lastPTS time.Duration
	closed  bool
}

// NewSegmentWriter writes the segment's header to w for a width×height
// VP8 track. Close finishes the segment; closing w is the caller's.
func NewSegmentWriter(w io.Writer, width, height int) (*SegmentWriter, error) {
	if width < 1 || height < 1 || width > 16384 || height > 16384 {
		return nil, fmt.Errorf("webm: size %dx%d out of range", width, height)
	}
	out := &stickyWriter{w: w}
	tracks := []webm.TrackEntry{{
		Name: "screen", TrackNumber: 1, TrackUID: 1, CodecID: "V_VP8", TrackType: 1,
		Video: &webm.Video{PixelWidth: uint64(width), PixelHeight: uint64(height)},
	}}
	ws, err := webm.NewSimpleBlockWriter(out, tracks,
		// An Info of its own: the library's default is one shared value.
		mkvcore.WithSegmentInfo(&webm.Info{TimecodeScale: uint64(time.Millisecond), MuxingApp: "bpclient", WritingApp: "bpclient"}),
		// One track written in order: no sorting stage (the default one
		// holds blocks back and drops late ones).
		mkvcore.WithBlockInterceptor(nil),
		// Write errors stay in out; these only see the library's own.
		mkvcore.WithOnErrorHandler(out.fail),
		mkvcore.WithOnFatalHandler(out.fail),
	)
	if err != nil {
		return nil, fmt.Errorf("webm: start a segment: %w", err)
	}
	if err := out.error(); err != nil {
		ws[0].Close()
		return nil, fmt.Errorf("webm: write the segment header: %w", err)
	}
	return &SegmentWriter{out: out, track: ws[0]}, nil
}

// WriteFrame adds one frame at pts from the segment's start (millisecond
// resolution). The first frame must be a keyframe; pts never goes back.
func (s *SegmentWriter) WriteFrame(data []byte, key bool, pts time.Duration) error {
	switch {
	case s.closed:
		return errors.New("webm: segment closed")
	case s.frames == 0 && !key:
		return errors.New("webm: a segment starts with a keyframe")
	case pts < 0 || pts < s.lastPTS:
		return fmt.Errorf("webm: pts %v after %v: times only go forward from 0", pts, s.lastPTS)
	case len(data) == 0:
		return errors.New("webm: empty frame")
	}
	if err := s.out.error(); err != nil {
		return fmt.Errorf("webm: write frame %d: %w", s.frames, err)
	}
	// ebml-go hands the block to its goroutine; the bytes are copied
	// because the encoder reuses its packet buffer.
	if _, err := s.track.Write(key, pts.Milliseconds(), append([]byte(nil), data...)); err != nil {
		return fmt.Errorf("webm: write frame %d: %w", s.frames, err)
	}
	s.frames++
	s.lastPTS = pts
	return s.out.error()
}

// Close ends the segment (its last cluster) and waits for the muxer.
func (s *SegmentWriter) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.track.Close(); err != nil {
		return fmt.Errorf("webm: close the segment: %w", err)
	}
	if err := s.out.error(); err != nil {
		return fmt.Errorf("webm: finish the segment: %w", err)
	}
	return nil
}

// stickyWriter keeps the first error and swallows writes after it, so a
// failing disk never reaches ebml-go's fatal path (which would stop its
// goroutine with writes still to come); SegmentWriter reports the error.
// Close does not close the caller's writer.
type stickyWriter struct {
	w   io.Writer
	mu  sync.Mutex // ebml-go writes from its goroutine
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		_, s.err = s.w.Write(p)
	}
	return len(p), nil
}

func (s *stickyWriter) Close() error { return nil }

func (s *stickyWriter) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

func (s *stickyWriter) error() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
