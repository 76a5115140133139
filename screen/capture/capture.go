// Package capture grabs pictures of the desktop: every monitor's bounding
// box or the primary one, with the mouse pointer drawn in, into a
// screen.Frame the caller reuses from grab to grab.
//
// Per OS: on Linux the X server over the X protocol (github.com/jezek/xgb,
// pure Go), into a shared-memory segment when the server has MIT-SHM and
// runs on this machine, plain GetImage in bands otherwise; monitors from
// RandR. On Windows DXGI desktop duplication (pure Go over the COM
// vtables: one duplication per monitor, composed into the area; a
// monitor whose picture did not change is not read from the GPU again,
// and the pointer is the one duplication reports), and GDI (BitBlt of
// the virtual screen, the cursor drawn with DrawIconEx) when any step of
// DXGI fails at Open (wine has no DuplicateOutput; some remote sessions
// and old drivers refuse it; a rotated monitor, whose picture
// duplication hands over unturned, is left to GDI), when the graphics
// device is lost during the capture (access lost, at a desktop switch,
// UAC's secure desktop or a new mode, only re-creates the duplication),
// or when the environment variable BPCLIENT_SCREEN_CAPTURE is "gdi" (for
// support: a driver whose duplication misbehaves). Capturer.Backend says
// which runs and why not the better one. macOS and a Wayland session say
// ErrUnavailable with the reason; the portal with PipeWire is the way
// Wayland will come.
package capture

import (
	"errors"
	"fmt"
	"image"

	"github.com/openbpclient/bpclient/screen"
)

// ErrUnavailable is returned (wrapped, with the reason) by Open where
// this machine or build cannot capture the screen.
var ErrUnavailable = errors.New("screen capture unavailable")

// Screen is one monitor, in the desktop's coordinates.
type Screen struct {
	Index   int
	Name    string
	Primary bool
	X, Y    int
	Width   int
	Height  int
}

// Options say what to capture.
type Options struct {
	// Screens is "all" (the bounding box of every monitor; "" means
	// this) or "primary".
	Screens string
	// Display is the X11 display; "" uses $DISPLAY.
	Display string
}

// Capturer grabs the screens chosen at Open. The area (and so the frame
// size) is fixed at Open: after a change of monitors, Screens shows the
// new layout and the owner opens a new Capturer. A Capturer is used from
// one goroutine at a time.
type Capturer interface {
	// Screens lists the monitors as they are now.
	Screens() ([]Screen, error)
	// Grab takes a picture into f, reusing f.Pix, with the pointer drawn.
	Grab(f *screen.Frame) error
	// Backend says how it grabs now (a capture may fall back while it
	// runs: DXGI to GDI when the graphics device is lost).
	Backend() Backend
	Close() error
}

// Backend names how a Capturer grabs and, when it is not the better way
// this OS has, why not.
type Backend struct {
	// Name: "dxgi" or "gdi" on Windows, "x11-shm" or "x11" on Linux.
	Name string `json:"name"`
	// Fallback is why the better way (DXGI desktop duplication, MIT-SHM)
	// is not used; "" when it is.
	Fallback string `json:"fallback,omitempty"`
}

// BackendOf is the Backend of g when it is a Capturer (or wraps one by
// embedding), the zero Backend otherwise.
func BackendOf(g any) Backend {
	if b, ok := g.(interface{ Backend() Backend }); ok {
		return b.Backend()
	}
	return Backend{}
}

// Open connects to the platform's screen and fixes the capture area.
func Open(o Options) (Capturer, error) {
	switch o.Screens {
	case "":
		o.Screens = "all"
	case "all", "primary":
	default:
		return nil, fmt.Errorf("capture: screens %q: want \"all\" or \"primary\"", o.Screens)
	}
	return open(o)
}

// unavailable wraps ErrUnavailable with why.
func unavailable(why string) error {
	return fmt.Errorf("%w: %s", ErrUnavailable, why)
}

// area picks the capture rectangle from the monitors: their bounding box,
// or the primary one (the first when none is marked).
func area(screens []Screen, which string) (Screen, error) {
	if len(screens) == 0 {
		return Screen{}, errors.New("capture: no monitor found")
	}
	if which == "primary" {
		for _, s := range screens {
			if s.Primary {
				return s, nil
			}
		}
		return screens[0], nil
	}
	box := screens[0]
	x1, y1 := box.X+box.Width, box.Y+box.Height
	for _, s := range screens[1:] {
		box.X, box.Y = min(box.X, s.X), min(box.Y, s.Y)
		x1, y1 = max(x1, s.X+s.Width), max(y1, s.Y+s.Height)
	}
	return Screen{Index: -1, Name: "all", X: box.X, Y: box.Y, Width: x1 - box.X, Height: y1 - box.Y}, nil
}

// cursorImage is a pointer picture: premultiplied ARGB (alpha in the top
// byte), Width×Height, its top-left corner at X, Y in frame coordinates.
type cursorImage struct {
	X, Y, Width, Height int
	ARGB                []uint32
}

// drawCursor blends c over f (premultiplied "over": dst = src +
// dst×(1−α)), clipped to the frame.
func drawCursor(f *screen.Frame, c cursorImage) {
	for cy := range c.Height {
		y := c.Y + cy
		if y < 0 || y >= f.Height {
			continue
		}
		for cx := range c.Width {
			x := c.X + cx
			if x < 0 || x >= f.Width {
				continue
			}
			p := c.ARGB[cy*c.Width+cx]
			a := p >> 24
			if a == 0 {
				continue
			}
			i := y*f.Stride + x*screen.BytesPerPixel
			inv := 255 - a
			f.Pix[i] = blend(p, f.Pix[i], inv)
			f.Pix[i+1] = blend(p>>8, f.Pix[i+1], inv)
			f.Pix[i+2] = blend(p>>16, f.Pix[i+2], inv)
		}
	}
}

func blend(src uint32, dst byte, inv uint32) byte {
	v := src&0xff + (uint32(dst)*inv+127)/255
	return byte(min(v, 255))
}

// PrimaryWithin says where the primary monitor of screens (as area picks
// it) lies in the frames of a capture of all of them, and the size of
// those frames (their bounding box): the rectangle a consumer of the
// primary screen alone is cropped to out of the one capture of all.
func PrimaryWithin(screens []Screen) (primary image.Rectangle, size image.Point, err error) {
	all, err := area(screens, "all")
	if err != nil {
		return image.Rectangle{}, image.Point{}, err
	}
	p, _ := area(screens, "primary")
	primary = image.Rect(p.X-all.X, p.Y-all.Y, p.X-all.X+p.Width, p.Y-all.Y+p.Height)
	return primary, image.Pt(all.Width, all.Height), nil
}

// LibraryLog receives, a line at a time, what the X protocol library
// (github.com/jezek/xgb) would write to stderr: connections that fail or
// break, a missing ~/.Xauthority. Its logger is the process's, so this
// takes the lines of every X connection of the process, desktop/idle's
// too; nil (and the default) drops them. They never reach stderr.
func LibraryLog(log func(line string)) { libraryLog(log) }
