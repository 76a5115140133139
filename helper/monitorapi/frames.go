package monitorapi

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/jpeg"
	"sync"

	"github.com/openbpclient/bpclient/screen"
)

// frameMailbox hands pictures from the viewer's goroutine to the
// encoder's: one at a time, the viewer never waits (a picture that
// comes while the encoder is busy is dropped). Two buffers take turns.
type frameMailbox struct {
	mu     sync.Mutex
	cond   *sync.Cond
	full   *screen.Frame // waiting for the encoder
	spare  *screen.Frame // free for the next copy
	closed bool
}

func newFrameMailbox() *frameMailbox {
	b := &frameMailbox{spare: &screen.Frame{}}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// put copies f in unless the box is full or closed; it reports whether.
func (b *frameMailbox) put(f *screen.Frame) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.full != nil || b.spare == nil {
		return false
	}
	dst := b.spare
	b.spare = nil
	dst.Resize(f.Width, f.Height)
	for y := 0; y < f.Height; y++ {
		copy(dst.Pix[y*dst.Stride:(y+1)*dst.Stride], f.Pix[y*f.Stride:])
	}
	dst.Time = f.Time
	b.full = dst
	b.cond.Signal()
	return true
}

// take waits for a picture; ok is false once the box is closed.
func (b *frameMailbox) take() (*screen.Frame, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.full == nil && !b.closed {
		b.cond.Wait()
	}
	if b.closed {
		return nil, false
	}
	f := b.full
	b.full = nil
	return f, true
}

// done gives a taken picture back as the spare.
func (b *frameMailbox) done(f *screen.Frame) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.spare == nil {
		b.spare = f
	}
}

func (b *frameMailbox) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.cond.Broadcast()
}

// maxJPEG bounds a frame event's picture: the event must stay under the
// native-messaging limit of 1 MiB after base64.
const maxJPEG = 700 << 10

// jpegQualities are tried in turn until the picture is small enough.
var jpegQualities = [...]int{80, 60, 40}

// encodeFrame returns f as a base64 JPEG.
func encodeFrame(f *screen.Frame) (string, error) {
	img := image.NewRGBA(image.Rect(0, 0, f.Width, f.Height))
	for y := 0; y < f.Height; y++ {
		src, dst := f.Pix[y*f.Stride:], img.Pix[y*img.Stride:]
		for x := 0; x < f.Width; x++ {
			i := x * 4
			dst[i], dst[i+1], dst[i+2], dst[i+3] = src[i+2], src[i+1], src[i], 0xff
		}
	}
	var buf bytes.Buffer
	for _, q := range jpegQualities {
		buf.Reset()
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
			return "", fmt.Errorf("encode jpeg: %w", err)
		}
		if buf.Len() <= maxJPEG {
			return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
		}
	}
	return "", fmt.Errorf("encode jpeg: %dx%d is %d bytes at quality %d, more than %d", f.Width, f.Height, buf.Len(), jpegQualities[len(jpegQualities)-1], maxJPEG)
}
