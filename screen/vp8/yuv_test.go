package vp8

import (
	"testing"

	"github.com/openbpclient/bpclient/screen"
)

func solidFrame(w, h int, rgb uint32) *screen.Frame {
	f := &screen.Frame{}
	f.Resize(w, h)
	for i := 0; i < len(f.Pix); i += 4 {
		f.Pix[i], f.Pix[i+1], f.Pix[i+2] = byte(rgb), byte(rgb>>8), byte(rgb>>16)
	}
	return f
}

func newPlanes(w, h int) *planes {
	cw, ch := (w+1)/2, (h+1)/2
	return &planes{Width: w, Height: h, Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch), YStride: w, CStride: cw}
}

func near(a, b uint8, tol int) bool { return int(a)-int(b) <= tol && int(b)-int(a) <= tol }

// Colours survive BGRX → I420 → BGRX within YUV rounding, at the same
// size and scaled down (odd sizes included).
func TestConvertRoundTrip(t *testing.T) {
	for _, c := range []uint32{0xff0000, 0x00ff00, 0x0000ff, 0xffffff, 0x000000, 0x808080, 0x3366cc} {
		for _, size := range [][4]int{{64, 48, 64, 48}, {1920, 1080, 1280, 720}, {33, 17, 11, 7}, {10, 10, 31, 29}} {
			src := solidFrame(size[0], size[1], c)
			p := newPlanes(size[2], size[3])
			var conv converter
			conv.bgrxToI420(p, src)
			var out screen.Frame
			i420ToBGRX(&out, p)
			r, g, b := out.At(size[2]-1, size[3]-1)
			if !near(r, byte(c>>16), 3) || !near(g, byte(c>>8), 3) || !near(b, byte(c), 3) {
				t.Errorf("%06x %v: came back %02x%02x%02x", c, size, r, g, b)
			}
		}
	}
}

// Scaling averages: a 2×2 checker of black and white halves to grey.
func TestConvertBoxFilters(t *testing.T) {
	src := solidFrame(4, 4, 0)
	for y := range 4 {
		for x := range 4 {
			if (x+y)%2 == 0 {
				copy(src.Pix[y*src.Stride+x*4:], []byte{255, 255, 255})
			}
		}
	}
	p := newPlanes(2, 2)
	var conv converter
	conv.bgrxToI420(p, src)
	for _, y := range p.Y {
		if !near(y, 126, 1) { // (16+235)/2
			t.Errorf("luma %d, want about 126 (the average of black and white)", y)
		}
	}
}

// Converting the same size again allocates nothing.
func TestConvertDoesNotAllocate(t *testing.T) {
	src := solidFrame(640, 360, 0x3366cc)
	p := newPlanes(320, 180)
	var conv converter
	conv.bgrxToI420(p, src)
	if n := testing.AllocsPerRun(5, func() { conv.bgrxToI420(p, src) }); n != 0 {
		t.Errorf("%v allocations per conversion, want 0", n)
	}
}

func TestOutputSize(t *testing.T) {
	for _, tc := range [][5]int{{1920, 1080, 1920, 1920, 1080}, {1920, 1080, 1280, 1280, 720}, {3840, 1080, 1920, 1920, 540},
		{1366, 768, 0, 1366, 768}, {1365, 767, 1920, 1364, 766}, {1920, 1080, 1000, 1000, 562}} {
		if w, h := OutputSize(tc[0], tc[1], tc[2]); w != tc[3] || h != tc[4] {
			t.Errorf("OutputSize(%d, %d, %d) = %d×%d, want %d×%d", tc[0], tc[1], tc[2], w, h, tc[3], tc[4])
		}
	}
}

func TestDefaultBitrate(t *testing.T) {
	for _, tc := range [][4]int{{1920, 1080, 1, 448}, {1920, 1080, 2, 697}, {1920, 1080, 5, 1444}, {64, 64, 1, 200}, {8192, 8192, 60, 8000}} {
		if got := DefaultBitrateKbps(tc[0], tc[1], tc[2]); got != tc[3] {
			t.Errorf("DefaultBitrateKbps(%d, %d, %d) = %d, want %d", tc[0], tc[1], tc[2], got, tc[3])
		}
	}
}
