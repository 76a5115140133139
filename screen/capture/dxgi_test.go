package capture

import (
	"testing"

	"github.com/openbpclient/bpclient/screen"
)

// Two monitors as Windows places them: a 1280×1024 one left of the
// primary 1920×1080 at 0,0, 100 px lower. "all" is their bounding box,
// each output's picture at its place in it; "primary" leaves the left
// one out.
func TestPlaceOutputs(t *testing.T) {
	left := Screen{Name: "left", X: -1280, Y: 100, Width: 1280, Height: 1024}
	primary := Screen{Name: "primary", Primary: true, Width: 1920, Height: 1080}
	all, err := area([]Screen{left, primary}, "all")
	if err != nil {
		t.Fatal(err)
	}
	if all.X != -1280 || all.Y != 0 || all.Width != 3200 || all.Height != 1124 {
		t.Fatalf("all = %+v, want 3200x1124-1280+0", all)
	}
	cases := []struct {
		area, out Screen
		want      blit
		inside    bool
	}{
		{all, left, blit{ToX: 0, ToY: 100, W: 1280, H: 1024}, true},
		{all, primary, blit{ToX: 1280, ToY: 0, W: 1920, H: 1080}, true},
		{primary, primary, blit{W: 1920, H: 1080}, true},
		{primary, left, blit{}, false},
		// A part only: an area cutting an output.
		{Screen{X: 100, Y: 50, Width: 200, Height: 100}, primary, blit{FromX: 100, FromY: 50, W: 200, H: 100}, true},
	}
	for _, c := range cases {
		got, inside := placeOutput(c.area, c.out)
		if got != c.want || inside != c.inside {
			t.Errorf("placeOutput(%+v, %s) = %+v, %v; want %+v, %v", c.area, c.out.Name, got, inside, c.want, c.inside)
		}
	}
}

// The pointer moving from the left monitor to the primary: in whichever
// order the two outputs' frames say so, it ends up visible over the
// primary at its place in desktop coordinates; leaving every output
// hides it.
func TestPointerPlaceAcrossOutputs(t *testing.T) {
	left := Screen{Name: "left", X: -1280, Y: 100, Width: 1280, Height: 1024}
	primary := Screen{Name: "primary", Width: 1920, Height: 1080}
	for _, leavingFirst := range []bool{true, false} {
		var p pointerPlace
		p.note(left, true, 1270, 500)
		if !p.visible || p.x != -10 || p.y != 600 {
			t.Fatalf("over the left monitor: %+v, want visible at -10,600", p)
		}
		if leavingFirst {
			p.note(left, false, 0, 0)
			p.note(primary, true, 5, 40)
		} else {
			p.note(primary, true, 5, 40)
			p.note(left, false, 0, 0)
		}
		if !p.visible || p.x != 5 || p.y != 40 {
			t.Errorf("leaving first %v: %+v, want visible at 5,40", leavingFirst, p)
		}
		p.note(primary, false, 0, 0)
		if p.visible {
			t.Errorf("leaving first %v: hidden by its output, still visible", leavingFirst)
		}
	}
}

// A mapped texture's rows are RowPitch bytes apart, more than width×4:
// the copy takes each row at its pitch, the padding never reaches the
// frame, and the two outputs land side by side.
func TestCopyRowsByPitch(t *testing.T) {
	const w, h, pitch = 3, 2, 3*4 + 20
	src := func(base byte) []byte {
		b := make([]byte, pitch*h)
		for i := range b {
			b[i] = 0xee // padding
		}
		for y := range h {
			for x := range w {
				i := y*pitch + x*4
				b[i], b[i+1], b[i+2], b[i+3] = base+byte(y*w+x), 0x10*byte(y), 0x20, 0xff // B, G, R, A
			}
		}
		return b
	}
	var f screen.Frame
	f.Resize(2*w, h)
	copyRows(&f, blit{W: w, H: h}, src(0), pitch)
	copyRows(&f, blit{ToX: w, W: w, H: h}, src(100), pitch)
	for y := range h {
		for x := range 2 * w {
			r, g, b := f.At(x, y)
			wantB := byte(y*w + x%w)
			if x >= w {
				wantB += 100
			}
			if r != 0x20 || g != 0x10*byte(y) || b != wantB {
				t.Errorf("pixel %d,%d = %02x%02x%02x, want 20%02x%02x", x, y, r, g, b, 0x10*y, wantB)
			}
		}
	}
	// A part of an output (FromX, FromY) by the same pitch.
	f.Resize(2, 1)
	copyRows(&f, blit{FromX: 1, FromY: 1, W: 2, H: 1}, src(0), pitch)
	if _, _, b := f.At(0, 0); b != 4 {
		t.Errorf("from 1,1: blue %d, want 4", b)
	}
	if _, _, b := f.At(1, 0); b != 5 {
		t.Errorf("from 2,1: blue %d, want 5", b)
	}
}

// greyFrame is a 4×1 frame of one grey.
func greyFrame(v byte) *screen.Frame {
	f := &screen.Frame{}
	f.Resize(4, 1)
	for i := range f.Pix {
		f.Pix[i] = v
	}
	return f
}

func pixel(f *screen.Frame, x int) [3]byte {
	r, g, b := f.At(x, 0)
	return [3]byte{r, g, b}
}

// wantPixels checks the red, green and blue of f's row, left to right.
func wantPixels(t *testing.T, f *screen.Frame, want [][3]byte) {
	t.Helper()
	for x, w := range want {
		if got := pixel(f, x); got != w {
			t.Errorf("pixel %d = %x, want %x", x, got, w)
		}
	}
}

// A monochrome pointer is an AND mask over an XOR mask, one bit a pixel
// from the top bit: (0,0) black, (0,1) white, (1,0) the screen, (1,1)
// the screen inverted.
func TestDrawMonochromePointer(t *testing.T) {
	f := greyFrame(0x40)
	// 4 pixels wide, 1 high: AND row 0011, XOR row 0101, pitch 2 (padding).
	s := pointerShape{Type: shapeMonochrome, Width: 4, Height: 2, Pitch: 2, Buf: []byte{0b0011_0000, 0xff, 0b0101_0000, 0xff}}
	drawPointer(f, s, 0, 0)
	want := [][3]byte{{0, 0, 0}, {0xff, 0xff, 0xff}, {0x40, 0x40, 0x40}, {0xbf, 0xbf, 0xbf}}
	wantPixels(t, f, want)
}

// A colour pointer has straight alpha: opaque replaces, transparent
// leaves the screen, half blends.
func TestDrawColorPointer(t *testing.T) {
	f := greyFrame(0x40)
	// B, G, R, A per pixel: opaque red, transparent white, half-alpha blue.
	s := pointerShape{Type: shapeColor, Width: 3, Height: 1, Pitch: 12, Buf: []byte{
		0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0, 0, 0x80}}
	drawPointer(f, s, 1, 0) // pixel 0 untouched, the shape on 1..3
	want := [][3]byte{{0x40, 0x40, 0x40}, {0xff, 0, 0}, {0x40, 0x40, 0x40}, {0x20, 0x20, 0xa0}}
	wantPixels(t, f, want)
}

// A masked-colour pointer: mask byte 0 puts the colour, 0xff XORs it
// with the screen.
func TestDrawMaskedColorPointer(t *testing.T) {
	f := greyFrame(0x40)
	s := pointerShape{Type: shapeMaskedColor, Width: 2, Height: 1, Pitch: 8 + 4, Buf: []byte{
		0x11, 0x22, 0x33, 0, 0xff, 0x0f, 0x00, 0xff, 0xee, 0xee, 0xee, 0xee}}
	drawPointer(f, s, 2, 0)
	want := [][3]byte{{0x40, 0x40, 0x40}, {0x40, 0x40, 0x40}, {0x33, 0x22, 0x11}, {0x40, 0x4f, 0xbf}}
	wantPixels(t, f, want)
	// Clipped at the frame's edges: nothing written outside it.
	drawPointer(f, s, -1, 0)
	drawPointer(f, s, 3, 0)
	if got := pixel(f, 0); got != [3]byte{0x40, 0x4f, 0xbf} {
		t.Errorf("pixel 0 after a pointer at -1 = %x, want 404fbf (its second pixel XORed)", got)
	}
}

func TestHresultText(t *testing.T) {
	if got := hresultText(0x80004001); got != "E_NOTIMPL (0x80004001)" {
		t.Errorf("E_NOTIMPL = %q", got)
	}
	if got := hresultText(0x887a0026); got != "DXGI_ERROR_ACCESS_LOST (0x887a0026)" {
		t.Errorf("access lost = %q", got)
	}
	if got := hresultText(0x12345678); got != "HRESULT 0x12345678" {
		t.Errorf("unknown = %q", got)
	}
}
