// Package screen holds what the screen capture, encode and recording
// packages share: one captured picture of the desktop.
package screen

import "time"

// BytesPerPixel is the size of one pixel in Frame.Pix (B, G, R, X).
const BytesPerPixel = 4

// Frame is one captured picture. Pix holds Height rows of Stride bytes,
// top row first; each pixel is four bytes B, G, R, X (X unused), the
// layout X11 and GDI hand out, so capture copies without converting.
// Capturers reuse Pix between grabs, so a consumer that keeps a frame
// past the next grab copies it.
type Frame struct {
	Width, Height, Stride int
	Pix                   []byte
	// Time is when the picture was taken (the capturer's clock).
	Time time.Time
}

// At returns the red, green and blue of the pixel at x, y; for tests and
// diagnostics, not for per-pixel loops.
func (f *Frame) At(x, y int) (r, g, b uint8) {
	i := y*f.Stride + x*BytesPerPixel
	return f.Pix[i+2], f.Pix[i+1], f.Pix[i]
}

// Resize makes Pix hold a width×height picture with a tight stride,
// reusing its array when it is large enough, so a capturer that grabs the
// same size again does not allocate.
func (f *Frame) Resize(width, height int) {
	f.Width, f.Height, f.Stride = width, height, width*BytesPerPixel
	n := f.Stride * height
	if cap(f.Pix) < n {
		f.Pix = make([]byte, n)
	}
	f.Pix = f.Pix[:n]
}
