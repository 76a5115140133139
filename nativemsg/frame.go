// Package nativemsg speaks the browsers' native-messaging framing (a 4-byte
// length in native byte order, then that many bytes of UTF-8 JSON), knows
// how a browser names the caller on the host's command line, writes host
// manifests, and pumps frames between the browser and the agent.
// It imports nothing else of bpclient.
package nativemsg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// MaxFrame is the largest payload accepted or sent: the limit Chromium and
// Firefox apply to messages from a native host.
const MaxFrame = 1 << 20

// ErrFrameTooLarge reports a length header over the limit. The payload is
// neither read nor allocated.
var ErrFrameTooLarge = errors.New("frame too large")

// FrameTooLargeError carries the size a peer announced.
type FrameTooLargeError struct{ Size uint32 }

func (e *FrameTooLargeError) Error() string {
	return fmt.Sprintf("frame of %d bytes exceeds the %d-byte limit", e.Size, MaxFrame)
}

func (e *FrameTooLargeError) Is(target error) bool { return target == ErrFrameTooLarge }

// Reader reads frames from an underlying stream, reusing one buffer.
type Reader struct {
	r   io.Reader
	max uint32
	hdr [4]byte
	buf []byte
}

// NewReader returns a Reader that refuses frames over MaxFrame.
func NewReader(r io.Reader) *Reader { return &Reader{r: r, max: MaxFrame} }

// ReadFrame returns the next payload. The slice is valid until the next
// call. A clean end of stream between frames is io.EOF; one inside a frame
// is io.ErrUnexpectedEOF. An oversized length is a *FrameTooLargeError and
// the stream is left positioned after the header: callers must close it.
func (r *Reader) ReadFrame() ([]byte, error) {
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		return nil, err
	}
	n := binary.NativeEndian.Uint32(r.hdr[:])
	if n > r.max {
		return nil, &FrameTooLargeError{Size: n}
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.r, r.buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return r.buf, nil
}

// WriteFrame writes payload as one frame with a single Write call, so that
// concurrent writers serialised by the caller never interleave headers.
func WriteFrame(w io.Writer, payload []byte) error {
	if len(payload) > MaxFrame {
		return &FrameTooLargeError{Size: uint32(min(uint64(len(payload)), math.MaxUint32))}
	}
	buf := make([]byte, 4+len(payload))
	binary.NativeEndian.PutUint32(buf, uint32(len(payload)))
	copy(buf[4:], payload)
	_, err := w.Write(buf)
	return err
}
