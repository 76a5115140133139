// Package vp8 encodes screen frames to VP8 and decodes them back, with
// libvpx through cgo behind the build tag vpx; without it New* return
// ErrUnavailable and Available is false.
//
// Scaling: EncoderConfig's Width and Height are the output size; Encode
// takes frames of any size and box-filters them down (or up) to it while
// converting B,G,R,X to I420 (BT.601, limited range), in Go, into the
// encoder's own image: no allocation per frame. OutputSize picks the
// output size for a maximum width.
//
// Settings: realtime deadline, cpu-used 12 (fast), error resilience off,
// no lag, no dropped frames, VBR, libvpx's screen-content mode. Each
// frame's macroblocks are compared with the last frame's in Go and only
// the changed ones are marked active in libvpx's active map, so an
// unchanged 1080p frame costs about 200 bytes (libvpx alone, even with its
// static threshold, spends 1.3–1.8 kB re-signalling a still picture); a
// forced keyframe codes everything. A frame with exactly the last one's
// pixels skips the conversion too (one memcmp; the encoder keeps a copy of
// the last frame for it, 8 MB at 1080p). The bitrate, when not given, is
// DefaultBitrateKbps.
package vp8

import (
	"errors"
	"fmt"
)

// ErrUnavailable is what New* return in a build without libvpx.
var ErrUnavailable = errors.New("vp8: not in this build (needs cgo and the vpx build tag)")

// EncoderConfig is the output size and rate.
type EncoderConfig struct {
	Width, Height, FPS int
	// BitrateKbps is the target; 0 is DefaultBitrateKbps.
	BitrateKbps int
}

// Packet is one encoded frame.
type Packet struct {
	// Data is valid until the next Encode.
	Data []byte
	Key  bool
}

// DefaultBitrateKbps is the target for a size and rate: 0.12 bit per
// pixel per frame, plus 200 kb/s so that the keyframes of a few-fps
// recording stay sharp, within 150..8000. At 1920×1080 that is about
// 450 kb/s at 1 fps, 700 at 2 and 1450 at 5; screens mostly stand still,
// so the files come out far smaller than the target.
func DefaultBitrateKbps(width, height, fps int) int {
	kbps := width*height*fps*12/100/1000 + 200
	return min(max(kbps, 150), 8000)
}

// OutputSize is the size a width×height screen is encoded at for at most
// maxWidth pixels across (0: no limit): the aspect kept, both even (what
// I420's half-size chroma wants).
func OutputSize(width, height, maxWidth int) (w, h int) {
	w, h = width, height
	if maxWidth > 0 && w > maxWidth {
		h = int((int64(h)*int64(maxWidth) + int64(w)/2) / int64(w))
		w = maxWidth
	}
	return max(2, w&^1), max(2, h&^1)
}

func (c *EncoderConfig) check() error {
	if c.Width < 2 || c.Height < 2 || c.Width > 8192 || c.Height > 8192 {
		return fmt.Errorf("vp8: size %dx%d: want 2..8192 each way", c.Width, c.Height)
	}
	if c.FPS < 1 || c.FPS > 60 {
		return fmt.Errorf("vp8: %d fps: want 1..60", c.FPS)
	}
	if c.BitrateKbps < 0 {
		return fmt.Errorf("vp8: bitrate %d kb/s is negative", c.BitrateKbps)
	}
	if c.BitrateKbps == 0 {
		c.BitrateKbps = DefaultBitrateKbps(c.Width, c.Height, c.FPS)
	}
	return nil
}
