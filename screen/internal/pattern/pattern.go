// Package pattern draws the known pictures the screen tests encode and
// look for again: colour bars and a box that moves.
package pattern

import "github.com/openbpclient/bpclient/screen"

// Bars are the colours (0xRRGGBB) of eight vertical bars of equal width,
// left to right.
var Bars = [8]uint32{0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0x000000}

// DrawBars sizes f to width×height and fills it with Bars.
func DrawBars(f *screen.Frame, width, height int) {
	f.Resize(width, height)
	for x := range width {
		c := Bars[x*len(Bars)/width]
		for y := range height {
			set(f, x, y, c)
		}
	}
}

// BarCentre is the x of the middle of bar i at width.
func BarCentre(i, width int) int { return (2*i + 1) * width / (2 * len(Bars)) }

// Fill paints a rectangle of f in one colour, clipped to f.
func Fill(f *screen.Frame, x0, y0, w, h int, rgb uint32) {
	for y := max(y0, 0); y < min(y0+h, f.Height); y++ {
		for x := max(x0, 0); x < min(x0+w, f.Width); x++ {
			set(f, x, y, rgb)
		}
	}
}

func set(f *screen.Frame, x, y int, rgb uint32) {
	i := y*f.Stride + x*screen.BytesPerPixel
	f.Pix[i], f.Pix[i+1], f.Pix[i+2], f.Pix[i+3] = byte(rgb), byte(rgb>>8), byte(rgb>>16), 0
}

// Near reports whether the pixel at x, y of f is within tol of rgb in
// each channel (lossy coding and YUV rounding move colours a little).
func Near(f *screen.Frame, x, y int, rgb uint32, tol int) bool {
	r, g, b := f.At(x, y)
	return within(r, byte(rgb>>16), tol) && within(g, byte(rgb>>8), tol) && within(b, byte(rgb), tol)
}

func within(a, b byte, tol int) bool { d := int(a) - int(b); return d <= tol && -d <= tol }
