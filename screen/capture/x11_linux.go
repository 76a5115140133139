package capture

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/openbpclient/bpclient/screen"
)

// bandBytes bounds one plain GetImage reply: a 1080p frame comes in
// about eight bands, so no reply nears a server's limits and the reply
// buffers xgb allocates stay small.
const bandBytes = 1 << 20

// x11Capturer grabs a rectangle of the root window.
type x11Capturer struct {
	conn    *xgb.Conn
	root    xproto.Window
	area    Screen
	shm     *shmSegment // nil: plain GetImage
	noSHM   string      // why shm is nil
	cursors bool        // XFixes is there to read the pointer's picture
}

// openX11 connects to display and fixes the capture area; useSHM false
// forces the plain GetImage path (the tests compare both).
func openX11(display, which string, useSHM bool) (*x11Capturer, error) {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, unavailable(fmt.Sprintf("no X display at %s: %v", display, err))
	}
	c := &x11Capturer{conn: conn}
	if err := c.setUp(display, which, useSHM); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func (c *x11Capturer) setUp(display, which string, useSHM bool) error {
	setup := xproto.Setup(c.conn)
	root := setup.DefaultScreen(c.conn)
	c.root = root.Root
	if err := checkPixelFormat(setup, root); err != nil {
		return err
	}
	if xwayland, _ := hasExtension(c.conn, "XWAYLAND"); xwayland {
		return unavailable("not available on Wayland yet (Xwayland shows the X clients only)")
	}
	screens, err := c.Screens()
	if err != nil {
		return err
	}
	if c.area, err = area(screens, which); err != nil {
		return err
	}
	c.cursors = initCursor(c.conn) == nil
	switch {
	case !useSHM:
		c.noSHM = "shared memory not asked for"
	case !isLocalDisplay(display):
		c.noSHM = "the X server is not on this machine"
	default:
		// Any failure (no MIT-SHM, another IPC namespace) leaves the
		// plain path, which works everywhere.
		if c.shm, err = newSHMSegment(c.conn, c.area.Width*c.area.Height*screen.BytesPerPixel); err != nil {
			c.noSHM = err.Error()
		}
	}
	return nil
}

// Backend implements Capturer.
func (c *x11Capturer) Backend() Backend {
	if c.shm != nil {
		return Backend{Name: "x11-shm"}
	}
	return Backend{Name: "x11", Fallback: c.noSHM}
}

// checkPixelFormat accepts the one layout Frame has: 24-bit colour in 32
// bits per pixel, blue first in memory.
func checkPixelFormat(setup *xproto.SetupInfo, root *xproto.ScreenInfo) error {
	if setup.ImageByteOrder != xproto.ImageOrderLSBFirst {
		return errors.New("capture: the X server sends images MSB first; only LSB first is handled")
	}
	bpp := 0
	for _, f := range setup.PixmapFormats {
		if f.Depth == root.RootDepth {
			bpp = int(f.BitsPerPixel)
		}
	}
	for _, d := range root.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId == root.RootVisual && (v.RedMask != 0xff0000 || v.GreenMask != 0xff00 || v.BlueMask != 0xff) {
				return fmt.Errorf("capture: root visual masks %#x/%#x/%#x: only 8-bit RGB is handled", v.RedMask, v.GreenMask, v.BlueMask)
			}
		}
	}
	if bpp != 32 || (root.RootDepth != 24 && root.RootDepth != 32) {
		return fmt.Errorf("capture: root depth %d at %d bits per pixel: only 24 or 32 at 32 is handled", root.RootDepth, bpp)
	}
	return nil
}

func hasExtension(conn *xgb.Conn, name string) (bool, error) {
	r, err := xproto.QueryExtension(conn, uint16(len(name)), name).Reply()
	if err != nil {
		return false, err
	}
	return r.Present, nil
}

// isLocalDisplay: ":0", "unix:0" and "/path/socket:0" reach a server on
// this machine, where a SysV segment can be shared; "host:0" does not.
func isLocalDisplay(display string) bool {
	host, _, ok := strings.Cut(display, ":")
	return ok && (host == "" || host == "unix" || strings.HasPrefix(host, "/"))
}

// Screens implements Capturer.
func (c *x11Capturer) Screens() ([]Screen, error) {
	return listScreens(c.conn, c.root)
}

// Grab implements Capturer.
func (c *x11Capturer) Grab(f *screen.Frame) error {
	a := c.area
	f.Resize(a.Width, a.Height)
	var err error
	if c.shm != nil {
		err = c.grabSHM(f)
	} else {
		err = c.grabPlain(f)
	}
	if err != nil {
		return err
	}
	f.Time = time.Now()
	if c.cursors {
		if ci, ok := readCursor(c.conn); ok {
			ci.X -= a.X
			ci.Y -= a.Y
			drawCursor(f, ci)
		}
	}
	return nil
}

func (c *x11Capturer) grabSHM(f *screen.Frame) error {
	a := c.area
	_, err := c.shm.getImage(c.conn, xproto.Drawable(c.root), a.X, a.Y, a.Width, a.Height)
	if err != nil {
		return fmt.Errorf("capture: MIT-SHM GetImage %dx%d+%d+%d: %w", a.Width, a.Height, a.X, a.Y, err)
	}
	copy(f.Pix, c.shm.buf[:len(f.Pix)])
	return nil
}

func (c *x11Capturer) grabPlain(f *screen.Frame) error {
	a := c.area
	rows := max(1, bandBytes/f.Stride)
	for y := 0; y < a.Height; y += rows {
		n := min(rows, a.Height-y)
		r, err := xproto.GetImage(c.conn, xproto.ImageFormatZPixmap, xproto.Drawable(c.root),
			int16(a.X), int16(a.Y+y), uint16(a.Width), uint16(n), 0xffffffff).Reply()
		if err != nil {
			return fmt.Errorf("capture: GetImage %dx%d+%d+%d: %w", a.Width, n, a.X, a.Y+y, err)
		}
		want := n * f.Stride
		if len(r.Data) < want {
			return fmt.Errorf("capture: GetImage sent %d bytes for %d rows, want %d", len(r.Data), n, want)
		}
		copy(f.Pix[y*f.Stride:], r.Data[:want])
	}
	return nil
}

// Close implements Capturer.
func (c *x11Capturer) Close() error {
	if c.shm != nil {
		c.shm.close(c.conn)
		c.shm = nil
	}
	c.conn.Close()
	return nil
}
