package capture

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/internal/pattern"
)

// bars are pattern.Bars, 240 pixels wide each across 1920×1080.
var bars = pattern.Bars

func barBoxes() []desktoptest.Box {
	var bs []desktoptest.Box
	for i, c := range bars {
		bs = append(bs, desktoptest.Box{X: 240 * i, W: 240, H: 1080, RGB: c})
	}
	return bs
}

func rgbAt(f *screen.Frame, x, y int) uint32 {
	r, g, b := f.At(x, y)
	return uint32(r)<<16 | uint32(g)<<8 | uint32(b)
}

// The picture read back is the one drawn, to the pixel, by both paths:
// a solid colour, then bars whose edges are checked on both sides.
func TestGrabReadsBackSolidAndBars(t *testing.T) {
	p := desktoptest.StartPainted(t, 1920, 1080)
	if p == nil {
		return
	}
	for _, useSHM := range []bool{true, false} {
		t.Run(map[bool]string{true: "shm", false: "getimage"}[useSHM], func(t *testing.T) {
			c, err := openX11(p.Display, "all", useSHM)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if useSHM && c.shm == nil {
				t.Fatal("Xvfb on this machine has MIT-SHM, but the capturer did not set up a segment")
			}
			wantBackend := map[bool]Backend{true: {Name: "x11-shm"}, false: {Name: "x11", Fallback: "shared memory not asked for"}}[useSHM]
			if b := c.Backend(); b != wantBackend {
				t.Errorf("backend %+v, want %+v", b, wantBackend)
			}
			c.cursors = false // the pointer sits at the centre; its own test checks it
			var f screen.Frame
			p.Fill(desktoptest.Box{W: 1920, H: 1080, RGB: 0xff0000})
			before := time.Now()
			if err := c.Grab(&f); err != nil {
				t.Fatal(err)
			}
			if f.Width != 1920 || f.Height != 1080 || f.Stride != 1920*4 || f.Time.Before(before) {
				t.Fatalf("frame %dx%d stride %d at %v, want 1920x1080 stride 7680 after %v", f.Width, f.Height, f.Stride, f.Time, before)
			}
			for _, pt := range [][2]int{{0, 0}, {1919, 0}, {0, 1079}, {1919, 1079}, {960, 540}, {123, 777}} {
				if got := rgbAt(&f, pt[0], pt[1]); got != 0xff0000 {
					t.Errorf("solid red: pixel %v is %06x", pt, got)
				}
			}
			p.Fill(barBoxes()...)
			if err := c.Grab(&f); err != nil {
				t.Fatal(err)
			}
			for i, want := range bars {
				for _, x := range []int{240 * i, 240*i + 120, 240*i + 239} {
					for _, y := range []int{0, 539, 1079} {
						if got := rgbAt(&f, x, y); got != want {
							t.Errorf("bar %d: pixel %d,%d is %06x, want %06x", i, x, y, got, want)
						}
					}
				}
			}
		})
	}
}

// The pointer is drawn where xdotool put it, and nowhere else.
func TestGrabDrawsCursorAtPointer(t *testing.T) {
	p := desktoptest.StartPainted(t, 1920, 1080)
	if p == nil {
		return
	}
	c, err := openX11(p.Display, "all", true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.cursors {
		t.Fatal("Xvfb has XFixes, but the capturer cannot read the pointer")
	}
	p.Fill(desktoptest.Box{W: 1920, H: 1080, RGB: 0xff0000})
	var f screen.Frame
	for _, at := range [][2]int{{500, 400}, {1500, 900}} {
		p.MovePointer(at[0], at[1])
		if err := c.Grab(&f); err != nil {
			t.Fatal(err)
		}
		near, far := notRed(&f, at[0], at[1])
		if near < 20 || far != 0 {
			t.Errorf("pointer at %v: %d changed pixels within 32 of it (want ≥ 20), %d farther (want 0)", at, near, far)
		}
	}
	c.cursors = false
	if err := c.Grab(&f); err != nil {
		t.Fatal(err)
	}
	if near, far := notRed(&f, 1500, 900); near+far != 0 {
		t.Errorf("without the cursor drawn: %d pixels not red, want 0 (so the pixels above were our drawing)", near+far)
	}
}

func notRed(f *screen.Frame, px, py int) (near, far int) {
	for y := range f.Height {
		for x := range f.Width {
			if rgbAt(f, x, y) == 0xff0000 {
				continue
			}
			if abs(x-px) <= 32 && abs(y-py) <= 32 {
				near++
			} else {
				far++
			}
		}
	}
	return near, far
}

func abs(v int) int { return max(v, -v) }

// Two RandR monitors side by side: Screens lists both with the primary
// marked; "primary" grabs that one's half, "all" their bounding box.
func TestScreensTwoRandRMonitors(t *testing.T) {
	p := desktoptest.StartPainted(t, 1920, 1080)
	if p == nil {
		return
	}
	p.SetMonitor("LEFT", false, 0, 0, 960, 1080)
	p.SetMonitor("RIGHT", true, 960, 0, 960, 1080)
	p.Fill(barBoxes()...)

	c, err := openX11(p.Display, "primary", true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.cursors = false
	screens, err := c.Screens()
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(screens)
	for _, want := range []string{"LEFT false 0 0 960 1080", "RIGHT true 960 0 960 1080"} {
		if !strings.Contains(got, want) {
			t.Errorf("screens %s: want one with %q", got, want)
		}
	}
	var f screen.Frame
	if err := c.Grab(&f); err != nil {
		t.Fatal(err)
	}
	if f.Width != 960 || f.Height != 1080 {
		t.Fatalf("primary: frame %dx%d, want 960x1080", f.Width, f.Height)
	}
	for i := range 4 { // the right half holds bars 4..7
		if got, want := rgbAt(&f, 240*i+120, 500), bars[4+i]; got != want {
			t.Errorf("primary: bar %d at x=%d is %06x, want %06x", 4+i, 240*i+120, got, want)
		}
	}

	all, err := openX11(p.Display, "all", true)
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	if all.area.X != 0 || all.area.Y != 0 || all.area.Width != 1920 || all.area.Height != 1080 {
		t.Errorf("all: area %+v, want the bounding box 1920x1080+0+0", all.area)
	}
}

func TestOpenWithoutXSaysWhy(t *testing.T) {
	for _, tc := range []struct{ display, wayland, want string }{
		{"", "wayland-0", "not available on Wayland yet"},
		{"", "", "no X display"},
		{":4093", "", "no X display at :4093"},
		{":4093", "wayland-0", "not available on Wayland yet"},
	} {
		t.Setenv("DISPLAY", tc.display)
		t.Setenv("WAYLAND_DISPLAY", tc.wayland)
		c, err := Open(Options{})
		if c != nil {
			c.Close()
		}
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DISPLAY=%q WAYLAND_DISPLAY=%q: %v, want ErrUnavailable saying %q", tc.display, tc.wayland, err, tc.want)
		}
	}
	if _, err := Open(Options{Screens: "left"}); err == nil || errors.Is(err, ErrUnavailable) {
		t.Errorf("screens \"left\": %v, want a plain argument error", err)
	}
}
