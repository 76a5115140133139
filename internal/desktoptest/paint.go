//go:build linux

package desktoptest

import (
	"os/exec"
	"strconv"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"

	"github.com/openbpclient/bpclient/internal/testpeers"
)

// Painter draws known pictures straight onto a private Xvfb's root
// window over its own X connection, as another client would.
type Painter struct {
	t       testing.TB
	Display string // the X display
	conn    *xgb.Conn
	root    xproto.Window
	gc      xproto.Gcontext
}

// Box is a filled rectangle of one colour (0xRRGGBB).
type Box struct {
	X, Y, W, H int
	RGB        uint32
}

// StartPainted runs StartScreen and connects a Painter to it; nil when
// the test was skipped.
func StartPainted(t testing.TB, width, height int) *Painter {
	t.Helper()
	d := StartScreen(t, width, height)
	if d == nil {
		return nil
	}
	conn, err := xgb.NewConnDisplay(d.Display)
	if err != nil {
		t.Fatalf("connect to Xvfb %s: %v", d.Display, err)
	}
	t.Cleanup(conn.Close)
	p := &Painter{t: t, Display: d.Display, conn: conn, root: xproto.Setup(conn).DefaultScreen(conn).Root}
	if p.gc, err = xproto.NewGcontextId(conn); err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreateGCChecked(conn, p.gc, xproto.Drawable(p.root), 0, nil).Check(); err != nil {
		t.Fatalf("CreateGC: %v", err)
	}
	return p
}

// Fill draws the boxes in order and waits until the server has.
func (p *Painter) Fill(boxes ...Box) {
	p.t.Helper()
	for _, b := range boxes {
		xproto.ChangeGC(p.conn, p.gc, xproto.GcForeground, []uint32{b.RGB})
		err := xproto.PolyFillRectangleChecked(p.conn, xproto.Drawable(p.root), p.gc,
			[]xproto.Rectangle{{X: int16(b.X), Y: int16(b.Y), Width: uint16(b.W), Height: uint16(b.H)}}).Check()
		if err != nil {
			p.t.Fatalf("fill %+v: %v", b, err)
		}
	}
}

// MovePointer moves the pointer with xdotool, as a user would.
func (p *Painter) MovePointer(x, y int) {
	p.t.Helper()
	if _, err := exec.LookPath("xdotool"); err != nil {
		testpeers.Missing(p.t, "xdotool is not installed (scripts/deps.sh installs xdotool)")
		return
	}
	cmd := exec.Command("xdotool", "mousemove", strconv.Itoa(x), strconv.Itoa(y))
	cmd.Env = append(cmd.Environ(), "DISPLAY="+p.Display)
	if out, err := cmd.CombinedOutput(); err != nil {
		p.t.Fatalf("xdotool mousemove: %v: %s", err, out)
	}
}

// SetMonitor defines a RandR 1.5 monitor, as xrandr --setmonitor does.
func (p *Painter) SetMonitor(name string, primary bool, x, y, w, h int) {
	p.t.Helper()
	if err := randr.Init(p.conn); err != nil {
		p.t.Fatalf("RandR: %v", err)
	}
	if _, err := randr.QueryVersion(p.conn, 1, 5).Reply(); err != nil {
		p.t.Fatalf("RandR version: %v", err)
	}
	a, err := xproto.InternAtom(p.conn, false, uint16(len(name)), name).Reply()
	if err != nil {
		p.t.Fatal(err)
	}
	m := randr.MonitorInfo{Name: a.Atom, Primary: primary, X: int16(x), Y: int16(y), Width: uint16(w), Height: uint16(h),
		WidthInMillimeters: uint32(w / 4), HeightInMillimeters: uint32(h / 4)}
	if err := randr.SetMonitorChecked(p.conn, p.root, m).Check(); err != nil {
		p.t.Fatalf("RandR SetMonitor %s: %v", name, err)
	}
}
