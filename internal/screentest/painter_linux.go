//go:build linux

package screentest

import (
	"fmt"
	"image/color"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// Painter paints the root window of an X display, as xsetroot does: the
// root's background, so the picture stays while nothing covers it.
type Painter struct {
	conn   *xgb.Conn
	root   xproto.Window
	depth  byte
	Width  int
	Height int
}

// OpenPainter connects to display (":99").
func OpenPainter(display string) (*Painter, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("connect to X display %s: %w", display, err)
	}
	s := xproto.Setup(c).DefaultScreen(c)
	return &Painter{conn: c, root: s.Root, depth: s.RootDepth, Width: int(s.WidthInPixels), Height: int(s.HeightInPixels)}, nil
}

// Close disconnects; the picture stays.
func (p *Painter) Close() { p.conn.Close() }

// Solid paints the whole screen one colour and returns once the server
// has done it.
func (p *Painter) Solid(c color.RGBA) error {
	pixel := uint32(c.R)<<16 | uint32(c.G)<<8 | uint32(c.B)
	if err := xproto.ChangeWindowAttributesChecked(p.conn, p.root, xproto.CwBackPixel, []uint32{pixel}).Check(); err != nil {
		return fmt.Errorf("set root background: %w", err)
	}
	return p.clear()
}

// Pattern paints colourAt(x, y) at every pixel.
func (p *Painter) Pattern(colourAt func(x, y int) color.RGBA) error {
	pid, err := xproto.NewPixmapId(p.conn)
	if err != nil {
		return fmt.Errorf("new pixmap id: %w", err)
	}
	w, h := uint16(p.Width), uint16(p.Height)
	if err := xproto.CreatePixmapChecked(p.conn, p.depth, pid, xproto.Drawable(p.root), w, h).Check(); err != nil {
		return fmt.Errorf("create pixmap: %w", err)
	}
	defer xproto.FreePixmap(p.conn, pid)
	gc, err := xproto.NewGcontextId(p.conn)
	if err != nil {
		return fmt.Errorf("new gc id: %w", err)
	}
	if err := xproto.CreateGCChecked(p.conn, gc, xproto.Drawable(pid), 0, nil).Check(); err != nil {
		return fmt.Errorf("create gc: %w", err)
	}
	defer xproto.FreeGC(p.conn, gc)
	// Strips of rows that fit a request without BIG-REQUESTS (256 kB).
	rows := 60000 / p.Width
	for y0 := 0; y0 < p.Height; y0 += rows {
		n := min(rows, p.Height-y0)
		data := make([]byte, 0, n*p.Width*4)
		for y := y0; y < y0+n; y++ {
			for x := 0; x < p.Width; x++ {
				c := colourAt(x, y)
				data = append(data, c.B, c.G, c.R, 0)
			}
		}
		if err := xproto.PutImageChecked(p.conn, xproto.ImageFormatZPixmap, xproto.Drawable(pid), gc, w, uint16(n), 0, int16(y0), 0, p.depth, data).Check(); err != nil {
			return fmt.Errorf("put image rows %d–%d: %w", y0, y0+n, err)
		}
	}
	if err := xproto.ChangeWindowAttributesChecked(p.conn, p.root, xproto.CwBackPixmap, []uint32{uint32(pid)}).Check(); err != nil {
		return fmt.Errorf("set root background pixmap: %w", err)
	}
	return p.clear()
}

func (p *Painter) clear() error {
	if err := xproto.ClearAreaChecked(p.conn, false, p.root, 0, 0, 0, 0).Check(); err != nil {
		return fmt.Errorf("clear root: %w", err)
	}
	return nil
}

// Quadrants is the tests' known pattern: red, green, blue and white
// quarters, left to right and top to bottom.
func Quadrants(width, height int) func(x, y int) color.RGBA {
	cs := [4]color.RGBA{Red, Green, Blue, White}
	return func(x, y int) color.RGBA {
		i := 0
		if x >= width/2 {
			i++
		}
		if y >= height/2 {
			i += 2
		}
		return cs[i]
	}
}

// The pattern's colours.
var (
	Red   = color.RGBA{255, 0, 0, 255}
	Green = color.RGBA{0, 255, 0, 255}
	Blue  = color.RGBA{0, 0, 255, 255}
	White = color.RGBA{255, 255, 255, 255}
	Black = color.RGBA{0, 0, 0, 255}
)
