package capture

import (
	"fmt"

	"github.com/openbpclient/bpclient/screen"
)

// What DXGI desktop duplication needs that is plain arithmetic on
// buffers: where each output's picture goes in the capture area, the
// copy of a mapped texture by its row pitch, and the pointer's shapes.
// Here (built on every OS) so that the tests run anywhere; the COM calls
// are in dxgi_windows.go.

// ForceGDIEnv set to "gdi" makes Open on Windows use GDI without trying
// DXGI (for support: a driver whose duplication misbehaves).
const ForceGDIEnv = "BPCLIENT_SCREEN_CAPTURE"

// blit is where one output's picture lands in the frame: the W×H part of
// the output from FromX, FromY (the output's own pixels) to ToX, ToY
// (the frame's).
type blit struct{ FromX, FromY, ToX, ToY, W, H int }

// placeOutput clips out (desktop coordinates) to the capture area; false
// when the output has nothing inside it ("primary" leaves the others out).
func placeOutput(area, out Screen) (blit, bool) {
	x0, y0 := max(area.X, out.X), max(area.Y, out.Y)
	x1, y1 := min(area.X+area.Width, out.X+out.Width), min(area.Y+area.Height, out.Y+out.Height)
	if x1 <= x0 || y1 <= y0 {
		return blit{}, false
	}
	return blit{FromX: x0 - out.X, FromY: y0 - out.Y, ToX: x0 - area.X, ToY: y0 - area.Y, W: x1 - x0, H: y1 - y0}, true
}

// copyRows copies b's rectangle from src, rows of pitch bytes (a mapped
// texture's RowPitch, often more than width×4), into f. src holds B, G,
// R, A pixels, f's layout: no conversion.
func copyRows(f *screen.Frame, b blit, src []byte, pitch int) {
	n := b.W * screen.BytesPerPixel
	for y := range b.H {
		from := (b.FromY+y)*pitch + b.FromX*screen.BytesPerPixel
		to := (b.ToY+y)*f.Stride + b.ToX*screen.BytesPerPixel
		copy(f.Pix[to:to+n], src[from:from+n])
	}
}

// pointerPlace is where the pointer is, from what each output's frames
// say: over it at a position (the shape's top-left corner, relative to
// the output; the hot spot is not used) or not over it.
type pointerPlace struct {
	visible bool
	x, y    int    // desktop coordinates
	owner   Screen // the output it was last seen over
	seen    bool   // owner is set
}

// note takes what output out said of the pointer. An output that no
// longer has it hides it only if it was the one showing it: the output
// it moved to may have said so first.
func (p *pointerPlace) note(out Screen, visible bool, x, y int) {
	switch {
	case visible:
		p.visible, p.x, p.y, p.owner, p.seen = true, out.X+x, out.Y+y, out, true
	case !p.seen || p.owner == out:
		p.visible = false
	}
}

// The pointer shapes of DXGI_OUTDUPL_POINTER_SHAPE_INFO.Type.
const (
	shapeMonochrome  = 1 // 1 bit a pixel: an AND mask over an XOR mask, Height is both
	shapeColor       = 2 // 32-bit B, G, R, A, straight alpha
	shapeMaskedColor = 4 // 32-bit B, G, R and a mask byte: 0 replaces, 0xff XORs
)

// pointerShape is a pointer's picture as duplication hands it out.
type pointerShape struct {
	Type, Width, Height, Pitch int
	Buf                        []byte
}

// drawPointer draws s into f with its top-left corner at x, y (frame
// coordinates), clipped to the frame.
func drawPointer(f *screen.Frame, s pointerShape, x, y int) {
	switch s.Type {
	case shapeColor:
		drawCursor(f, colorCursor(s, x, y))
	case shapeMonochrome:
		h := s.Height / 2
		bit := func(row, col int) bool {
			return s.Buf[row*s.Pitch+col/8]&(0x80>>(col%8)) != 0
		}
		eachPointerPixel(f, s.Width, h, x, y, func(cx, cy int, px []byte) {
			and, xor := bit(cy, cx), bit(cy+h, cx)
			for i := range 3 {
				if !and {
					px[i] = 0
				}
				if xor {
					px[i] ^= 0xff
				}
			}
		})
	case shapeMaskedColor:
		eachPointerPixel(f, s.Width, s.Height, x, y, func(cx, cy int, px []byte) {
			p := s.Buf[cy*s.Pitch+cx*4:]
			if p[3] == 0 {
				copy(px[:3], p[:3])
				return
			}
			for i := range 3 {
				px[i] ^= p[i]
			}
		})
	}
}

// colorCursor is a colour shape as a premultiplied cursorImage.
func colorCursor(s pointerShape, x, y int) cursorImage {
	c := cursorImage{X: x, Y: y, Width: s.Width, Height: s.Height, ARGB: make([]uint32, s.Width*s.Height)}
	for cy := range s.Height {
		for cx := range s.Width {
			p := s.Buf[cy*s.Pitch+cx*4:]
			a := uint32(p[3])
			pre := func(v byte) uint32 { return (uint32(v)*a + 127) / 255 }
			c.ARGB[cy*s.Width+cx] = a<<24 | pre(p[2])<<16 | pre(p[1])<<8 | pre(p[0])
		}
	}
	return c
}

// eachPointerPixel calls fn with the frame's pixel under each pointer
// pixel cx, cy of a w×h picture at x, y, clipped to the frame.
func eachPointerPixel(f *screen.Frame, w, h, x, y int, fn func(cx, cy int, px []byte)) {
	for cy := range h {
		if y+cy < 0 || y+cy >= f.Height {
			continue
		}
		for cx := range w {
			if x+cx < 0 || x+cx >= f.Width {
				continue
			}
			i := (y+cy)*f.Stride + (x+cx)*screen.BytesPerPixel
			fn(cx, cy, f.Pix[i:i+screen.BytesPerPixel])
		}
	}
}

// hresultText names the HRESULTs duplication returns, for the reasons
// people read (screen.status, doctor, the log).
func hresultText(hr uint32) string {
	names := map[uint32]string{
		0x80004001: "E_NOTIMPL",
		0x80004002: "E_NOINTERFACE",
		0x80004005: "E_FAIL",
		0x80070005: "E_ACCESSDENIED",
		0x80070057: "E_INVALIDARG",
		0x8007000e: "E_OUTOFMEMORY",
		0x887a0001: "DXGI_ERROR_INVALID_CALL",
		0x887a0002: "DXGI_ERROR_NOT_FOUND",
		0x887a0004: "DXGI_ERROR_UNSUPPORTED",
		0x887a0005: "DXGI_ERROR_DEVICE_REMOVED",
		0x887a0007: "DXGI_ERROR_DEVICE_RESET",
		0x887a0022: "DXGI_ERROR_NOT_CURRENTLY_AVAILABLE",
		0x887a0026: "DXGI_ERROR_ACCESS_LOST",
		0x887a0027: "DXGI_ERROR_WAIT_TIMEOUT",
		0x887a0028: "DXGI_ERROR_SESSION_DISCONNECTED",
	}
	if n, ok := names[hr]; ok {
		return fmt.Sprintf("%s (0x%08x)", n, hr)
	}
	return fmt.Sprintf("HRESULT 0x%08x", hr)
}
