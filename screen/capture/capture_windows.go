package capture

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/openbpclient/bpclient/screen"
)

// open on Windows: DXGI desktop duplication (dxgi_windows.go), and GDI
// when any step of it fails, or when $BPCLIENT_SCREEN_CAPTURE is "gdi";
// the capturer's Backend says which and why. GDI: BitBlt of the virtual
// screen into a top-down 32-bit DIB section (the B,G,R,X layout of Frame)
// and the pointer drawn into it with DrawIconEx. It works on every
// desktop, over RDP and under wine, and at a few frames a second its
// cost is small; duplication hands over a picture only when the screen
// changed.
func open(o Options) (Capturer, error) {
	if err := user32.Load(); err != nil {
		return nil, unavailable("no user32.dll: " + err.Error())
	}
	// Coordinates in physical pixels on scaled displays (otherwise GDI
	// hands out a scaled, blurred desktop, and duplication refuses a
	// process that is not DPI aware). Best effort: the process-wide
	// setting may already be made, or the call missing on old Windows.
	if procSetProcessDpiAwarenessContext.Find() == nil {
		procSetProcessDpiAwarenessContext.Call(dpiAwarenessPerMonitorV2)
	} else if procSetProcessDPIAware.Find() == nil {
		procSetProcessDPIAware.Call()
	}
	screens, err := listMonitors()
	if err != nil {
		return nil, err
	}
	a, err := area(screens, o.Screens)
	if err != nil {
		return nil, err
	}
	why := ForceGDIEnv + "=gdi"
	if !strings.EqualFold(os.Getenv(ForceGDIEnv), "gdi") {
		d, err := openDXGI(a, screens)
		if err == nil {
			return d, nil
		}
		why = "DXGI: " + err.Error()
	}
	g, err := openGDI(a)
	if err != nil {
		return nil, err
	}
	g.fallback = why
	return g, nil
}

// openGDI readies a GDI capture of a.
func openGDI(a Screen) (*gdiCapturer, error) {
	arrow, _, _ := procLoadCursorW.Call(0, idcArrow)
	c := &gdiCapturer{arrow: arrow, area: a}
	if err := c.makeBitmap(); err != nil {
		return nil, err
	}
	return c, nil
}

var (
	user32 = windows.NewLazySystemDLL("user32.dll")
	gdi32  = windows.NewLazySystemDLL("gdi32.dll")

	procGetDC                         = user32.NewProc("GetDC")
	procReleaseDC                     = user32.NewProc("ReleaseDC")
	procEnumDisplayMonitors           = user32.NewProc("EnumDisplayMonitors")
	procGetMonitorInfoW               = user32.NewProc("GetMonitorInfoW")
	procGetCursorInfo                 = user32.NewProc("GetCursorInfo")
	procGetIconInfo                   = user32.NewProc("GetIconInfo")
	procDrawIconEx                    = user32.NewProc("DrawIconEx")
	procLoadCursorW                   = user32.NewProc("LoadCursorW")
	procSetProcessDpiAwarenessContext = user32.NewProc("SetProcessDpiAwarenessContext")
	procSetProcessDPIAware            = user32.NewProc("SetProcessDPIAware")
	procCreateCompatibleDC            = gdi32.NewProc("CreateCompatibleDC")
	procDeleteDC                      = gdi32.NewProc("DeleteDC")
	procCreateDIBSection              = gdi32.NewProc("CreateDIBSection")
	procSelectObject                  = gdi32.NewProc("SelectObject")
	procDeleteObject                  = gdi32.NewProc("DeleteObject")
	procBitBlt                        = gdi32.NewProc("BitBlt")

	// monitorEnumProc is made once: Windows callbacks are never freed.
	monitorEnumProc = windows.NewCallback(appendMonitor)
)

const (
	srcCopy                  = 0x00CC0020
	captureBlt               = 0x40000000 // layered windows too
	cursorShowing            = 0x1
	idcArrow                 = 32512
	diNormal                 = 0x3
	monitorInfoPrimary       = 0x1
	dpiAwarenessPerMonitorV2 = ^uintptr(3) // DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2 = -4
)

type rect struct{ Left, Top, Right, Bottom int32 }

type monitorInfoEx struct {
	Size    uint32
	Monitor rect
	Work    rect
	Flags   uint32
	Device  [32]uint16
}

type bitmapInfoHeader struct {
	Size                         uint32
	Width, Height                int32
	Planes, BitCount             uint16
	Compression, SizeImage       uint32
	XPelsPerMeter, YPelsPerMeter int32
	ClrUsed, ClrImportant        uint32
}

type cursorInfo struct {
	Size   uint32
	Flags  uint32
	Cursor uintptr
	X, Y   int32
}

type iconInfo struct {
	IsIcon           int32
	XHot, YHot       uint32
	MaskBM, ColourBM uintptr
}

// gdiCapturer copies the area into one DIB section kept for its life.
type gdiCapturer struct {
	area   Screen
	memDC  uintptr
	bitmap uintptr
	old    uintptr
	pix    []byte  // the DIB section's pixels, owned by GDI
	arrow  uintptr // the system's arrow (shared, never freed)
	// fallback is why not DXGI.
	fallback string
}

// Backend implements Capturer.
func (c *gdiCapturer) Backend() Backend { return Backend{Name: "gdi", Fallback: c.fallback} }

func (c *gdiCapturer) makeBitmap() error {
	screenDC, _, _ := procGetDC.Call(0)
	if screenDC == 0 {
		return unavailable("GetDC of the screen failed (no interactive desktop?)")
	}
	defer procReleaseDC.Call(0, screenDC)
	c.memDC, _, _ = procCreateCompatibleDC.Call(screenDC)
	if c.memDC == 0 {
		return errors.New("capture: CreateCompatibleDC failed")
	}
	bi := bitmapInfoHeader{Width: int32(c.area.Width), Height: -int32(c.area.Height), // negative: top-down
		Planes: 1, BitCount: 32}
	bi.Size = uint32(unsafe.Sizeof(bi))
	var bits unsafe.Pointer
	c.bitmap, _, _ = procCreateDIBSection.Call(c.memDC, uintptr(unsafe.Pointer(&bi)), 0, uintptr(unsafe.Pointer(&bits)), 0, 0)
	if c.bitmap == 0 || bits == nil {
		procDeleteDC.Call(c.memDC)
		return fmt.Errorf("capture: CreateDIBSection %dx%d failed", c.area.Width, c.area.Height)
	}
	c.old, _, _ = procSelectObject.Call(c.memDC, c.bitmap)
	c.pix = unsafe.Slice((*byte)(bits), c.area.Width*c.area.Height*screen.BytesPerPixel)
	return nil
}

// Screens implements Capturer.
func (c *gdiCapturer) Screens() ([]Screen, error) { return listMonitors() }

// listMonitors is the monitors in the order Windows lists them.
func listMonitors() ([]Screen, error) {
	var screens []Screen
	r, _, err := procEnumDisplayMonitors.Call(0, 0, monitorEnumProc, uintptr(unsafe.Pointer(&screens)))
	if r == 0 {
		return nil, fmt.Errorf("capture: EnumDisplayMonitors: %w", err)
	}
	return screens, nil
}

// appendMonitor is EnumDisplayMonitors' callback; data points to the
// []Screen being filled.
func appendMonitor(monitor, _ uintptr, _ *rect, data *[]Screen) uintptr {
	mi := monitorInfoEx{}
	mi.Size = uint32(unsafe.Sizeof(mi))
	if r, _, _ := procGetMonitorInfoW.Call(monitor, uintptr(unsafe.Pointer(&mi))); r == 0 {
		return 1 // skip it, go on
	}
	m := mi.Monitor
	*data = append(*data, Screen{Index: len(*data), Name: syscall.UTF16ToString(mi.Device[:]),
		Primary: mi.Flags&monitorInfoPrimary != 0, X: int(m.Left), Y: int(m.Top),
		Width: int(m.Right - m.Left), Height: int(m.Bottom - m.Top)})
	return 1
}

// Grab implements Capturer.
func (c *gdiCapturer) Grab(f *screen.Frame) error {
	a := c.area
	screenDC, _, _ := procGetDC.Call(0)
	if screenDC == 0 {
		return errors.New("capture: GetDC of the screen failed")
	}
	r, _, err := procBitBlt.Call(c.memDC, 0, 0, uintptr(a.Width), uintptr(a.Height),
		screenDC, uintptr(int32(a.X)), uintptr(int32(a.Y)), srcCopy|captureBlt)
	procReleaseDC.Call(0, screenDC)
	if r == 0 {
		return fmt.Errorf("capture: BitBlt %dx%d%+d%+d: %w", a.Width, a.Height, a.X, a.Y, err)
	}
	c.drawCursor()
	f.Resize(a.Width, a.Height)
	copy(f.Pix, c.pix)
	f.Time = time.Now()
	return nil
}

// drawCursor draws the pointer into the bitmap where it is, hot spot at
// the pointer position, when it is shown. A pointer shown without a
// picture (wine's, over no window of its own) is drawn as the arrow.
func (c *gdiCapturer) drawCursor() {
	ci := cursorInfo{}
	ci.Size = uint32(unsafe.Sizeof(ci))
	if r, _, _ := procGetCursorInfo.Call(uintptr(unsafe.Pointer(&ci))); r == 0 || ci.Flags&cursorShowing == 0 {
		return
	}
	if ci.Cursor == 0 {
		ci.Cursor = c.arrow
	}
	var ii iconInfo
	if r, _, _ := procGetIconInfo.Call(ci.Cursor, uintptr(unsafe.Pointer(&ii))); r == 0 {
		return
	}
	// GetIconInfo hands over copies of the cursor's bitmaps.
	for _, bm := range []uintptr{ii.MaskBM, ii.ColourBM} {
		if bm != 0 {
			procDeleteObject.Call(bm)
		}
	}
	x := int(ci.X) - int(ii.XHot) - c.area.X
	y := int(ci.Y) - int(ii.YHot) - c.area.Y
	procDrawIconEx.Call(c.memDC, uintptr(int32(x)), uintptr(int32(y)), ci.Cursor, 0, 0, 0, 0, diNormal)
}

// Close implements Capturer.
func (c *gdiCapturer) Close() error {
	if c.memDC != 0 {
		procSelectObject.Call(c.memDC, c.old)
		procDeleteObject.Call(c.bitmap)
		procDeleteDC.Call(c.memDC)
		c.memDC, c.pix = 0, nil
	}
	return nil
}
