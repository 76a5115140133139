package capture

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/screen"
)

// TestGDIGrabKnownScreen checks a screen someone else set up: internal/
// e2e's TestWineScreenCapture runs this test exe under wine on an Xvfb it
// painted, and says in BPCLIENT_CAPTURE_EXPECT what is there:
// "WxH;x,y,RRGGBB;...;pointer=x,y,RRGGBB" (the colour around the pointer).
func TestGDIGrabKnownScreen(t *testing.T) {
	want := os.Getenv("BPCLIENT_CAPTURE_EXPECT")
	if want == "" {
		t.Skip("SKIP: needs a known screen: internal/e2e's TestWineScreenCapture runs it under wine (BPCLIENT_WINE_E2E=1)")
	}
	c, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	screens, err := c.Screens()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screens: %+v", screens)
	var f screen.Frame
	if err := c.Grab(&f); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(want, ";")
	if size := strconv.Itoa(f.Width) + "x" + strconv.Itoa(f.Height); size != parts[0] {
		t.Fatalf("frame %s, want %s", size, parts[0])
	}
	for _, p := range parts[1:] {
		pointer := strings.HasPrefix(p, "pointer=")
		var x, y int
		var rgb uint32
		xs := strings.Split(strings.TrimPrefix(p, "pointer="), ",")
		x, _ = strconv.Atoi(xs[0])
		y, _ = strconv.Atoi(xs[1])
		v, _ := strconv.ParseUint(xs[2], 16, 32)
		rgb = uint32(v)
		if pointer {
			// The pointer drawn: pixels near it that are not the colour
			// around it.
			changed := 0
			for dy := -4; dy <= 24; dy++ {
				for dx := -4; dx <= 24; dx++ {
					if rgbOf(&f, x+dx, y+dy) != rgb {
						changed++
					}
				}
			}
			if changed < 20 {
				t.Errorf("pointer at %d,%d: %d pixels differ from %06x near it, want ≥ 20", x, y, changed, rgb)
			}
			continue
		}
		if got := rgbOf(&f, x, y); got != rgb {
			t.Errorf("pixel %d,%d is %06x, want %06x", x, y, got, rgb)
		}
	}
}

func rgbOf(f *screen.Frame, x, y int) uint32 {
	r, g, b := f.At(x, y)
	return uint32(r)<<16 | uint32(g)<<8 | uint32(b)
}
