package webm

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSegmentRules(t *testing.T) {
	var buf bytes.Buffer
	s, err := NewSegmentWriter(&buf, 64, 48)
	if err != nil {
		t.Fatal(err)
	}
	frame := []byte{0x10, 0x02, 0x00} // the muxer does not parse frames
	if err := s.WriteFrame(frame, false, 0); err == nil || !strings.Contains(err.Error(), "keyframe") {
		t.Errorf("a first frame that is not a key: %v, want an error", err)
	}
	if err := s.WriteFrame(frame, true, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFrame(frame, false, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFrame(frame, false, 500*time.Millisecond); err == nil {
		t.Error("pts going back: no error")
	}
	if err := s.WriteFrame(nil, false, 2*time.Second); err == nil {
		t.Error("an empty frame: no error")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFrame(frame, false, 3*time.Second); err == nil {
		t.Error("a frame after Close: no error")
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte{0x1a, 0x45, 0xdf, 0xa3}) || !bytes.Contains(buf.Bytes(), []byte("V_VP8")) {
		t.Errorf("the segment does not start with an EBML header naming V_VP8: % x", buf.Bytes()[:min(16, buf.Len())])
	}
	if _, err := NewSegmentWriter(&buf, 0, 10); err == nil {
		t.Error("a 0-pixel-wide segment: no error")
	}
}

type failingWriter struct{ after int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errDiskFull
	}
	return len(p), nil
}

// A writer that fails makes the segment fail with its error, and neither
// WriteFrame nor Close hangs.
func TestSegmentWriteErrorIsReported(t *testing.T) {
	s, err := NewSegmentWriter(&failingWriter{after: 1000}, 64, 48)
	if err != nil {
		t.Fatal(err)
	}
	var got error
	for i := 0; i < 50 && got == nil; i++ {
		got = s.WriteFrame(make([]byte, 100), i == 0, time.Duration(i)*time.Second)
	}
	if cerr := s.Close(); got == nil {
		got = cerr
	}
	if !errors.Is(got, errDiskFull) {
		t.Errorf("got %v, want the writer's error", got)
	}
}
