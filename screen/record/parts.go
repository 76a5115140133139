package record

import (
	"io"
	"time"

	"github.com/openbpclient/bpclient/screen"
)

// Encoder turns frames into VP8 (screen/vp8's Encoder is one, through
// an adapter). data is valid until the next Encode.
type Encoder interface {
	Encode(f *screen.Frame, forceKey bool) (data []byte, key bool, err error)
	Close()
}

// Segment writes one WebM segment (screen/webm's SegmentWriter is one).
type Segment interface {
	WriteFrame(data []byte, key bool, pts time.Duration) error
	Close() error
}

// Sink keeps finished segments (screen/spool's Spool is one).
type Sink interface {
	Add(recordingID string, number int, data []byte) error
	End(recordingID string) error
}

// Parts are the pieces a Recorder is built from.
type Parts struct {
	// NewEncoder makes an encoder for width×height output at fps.
	NewEncoder func(width, height, fps int) (Encoder, error)
	// NewSegment starts a segment written to w.
	NewSegment func(w io.Writer, width, height int) (Segment, error)
	// Scale fits src into dst at most maxWidth wide (aspect kept); nil:
	// the encoder scales itself and gets the captured frame.
	Scale func(dst, src *screen.Frame, maxWidth int)
}

// OutputSize is the size frames are encoded at: width at most maxWidth,
// the aspect kept (rounded, as screen/vp8's OutputSize), both even
// (VP8's 4:2:0 chroma wants even sizes). Here too so that the recorder
// does not link the encoder's package for a sum.
func OutputSize(width, height, maxWidth int) (int, int) {
	w, h := width, height
	if maxWidth > 0 && w > maxWidth {
		h = int((int64(h)*int64(maxWidth) + int64(w)/2) / int64(w))
		w = maxWidth
	}
	return max(2, w&^1), max(2, h&^1)
}
