package capture

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/openbpclient/bpclient/screen"
)

// TestGrabKnownScreen checks a screen someone else set up: internal/
// e2e's TestWineScreenCapture runs this test exe under wine on an Xvfb it
// painted, and says in BPCLIENT_CAPTURE_EXPECT what is there:
// "WxH;x,y,RRGGBB;...;pointer=x,y,RRGGBB" (the colour around the pointer),
// and in BPCLIENT_CAPTURE_EXPECT_BACKEND which backend Open must choose:
// "name" or "name:words its fallback reason contains". The same pixels
// are checked through the capture Open chose, through GDI forced by
// BPCLIENT_SCREEN_CAPTURE=gdi, and through a DXGI capture that lost its
// device and went on with GDI.
func TestGrabKnownScreen(t *testing.T) {
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
	b := c.Backend()
	t.Logf("screens: %+v; backend %q, fallback %q", screens, b.Name, b.Fallback)
	if wb := os.Getenv("BPCLIENT_CAPTURE_EXPECT_BACKEND"); wb != "" {
		name, why, _ := strings.Cut(wb, ":")
		if b.Name != name || !strings.Contains(b.Fallback, why) {
			t.Errorf("backend %+v, want %q with a fallback reason naming %q", b, name, why)
		}
	}
	checkKnownScreen(t, c, want)

	t.Run("forced GDI", func(t *testing.T) {
		t.Setenv(ForceGDIEnv, "gdi")
		g, err := Open(Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		if b := g.Backend(); b != (Backend{Name: "gdi", Fallback: ForceGDIEnv + "=gdi"}) {
			t.Errorf("backend %+v, want gdi forced by %s", b, ForceGDIEnv)
		}
		checkKnownScreen(t, g, want)
	})
	t.Run("device lost", func(t *testing.T) {
		a, err := area(screens, "all")
		if err != nil {
			t.Fatal(err)
		}
		d := &dxgiCapturer{area: a}
		defer d.Close()
		if err := d.fallBack("DXGI lost: " + hresultText(0x887a0005)); err != nil {
			t.Fatal(err)
		}
		if b := d.Backend(); b.Name != "gdi" || !strings.Contains(b.Fallback, "DXGI_ERROR_DEVICE_REMOVED") {
			t.Errorf("backend after the device was lost: %+v", b)
		}
		checkKnownScreen(t, d, want)
	})
}

// checkKnownScreen grabs with c and checks the pixels want describes.
func checkKnownScreen(t *testing.T, c Capturer, want string) {
	t.Helper()
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

// TestD3D11StagingCopy runs the half of a DXGI grab that does not need a
// duplication (wine has none): a D3D11 device on the first adapter, a
// texture of known pixels standing for the desktop image, copied through
// the staging texture, mapped, and its rows copied by RowPitch into
// their place in the frame. It checks the vtable slots of
// CreateTexture2D, CopyResource, Map and Unmap on a real D3D11.
func TestD3D11StagingCopy(t *testing.T) {
	dev, cleanup := testDevice(t)
	defer cleanup()
	const w, h = 37, 5 // 148 bytes a row: drivers pad rows to their own alignment
	pix := make([]byte, w*h*4)
	for y := range h {
		for x := range w {
			i := (y*w + x) * 4
			pix[i], pix[i+1], pix[i+2], pix[i+3] = byte(x), byte(y*40), 0x80, 0xff
		}
	}
	tex := testTexture(t, dev, w, h, pix)
	defer tex.release()

	o := &dxgiOutput{dev: dev, place: blit{ToX: 2, ToY: 1, W: w, H: h}}
	defer o.staging.release()
	if err := o.makeStaging(w, h); err != nil {
		t.Fatal(err)
	}
	var canvas screen.Frame
	canvas.Resize(w+3, h+2)
	pitch, err := o.copyTexture(tex, &canvas)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mapped row pitch %d for %d pixels (%d bytes)", pitch, w, w*4)
	for y := range h + 2 {
		for x := range w + 3 {
			want := uint32(0)
			if x >= 2 && x < 2+w && y >= 1 && y < 1+h {
				want = 0x80<<16 | uint32(byte((y-1)*40))<<8 | uint32(x-2)
			}
			if got := rgbOf(&canvas, x, y); got != want {
				t.Fatalf("pixel %d,%d is %06x, want %06x", x, y, got, want)
			}
		}
	}
}

// callVtbl calls a method of o that takes no arguments.
func callVtbl(o *com, slot int) uintptr {
	r, _, _ := syscall.SyscallN(o.vtbl[slot], o.this())
	return r
}

// testDevice is a D3D11 device on the first adapter.
func testDevice(t *testing.T) (*d3dDevice, func()) {
	t.Helper()
	if err := d3d11dll.Load(); err != nil {
		t.Skipf("SKIP: no d3d11.dll: %v", err)
	}
	var factory, adapter *com
	if hr, _, _ := procCreateDXGIFactory1.Call(uintptr(unsafe.Pointer(&iidIDXGIFactory1)), uintptr(unsafe.Pointer(&factory))); failed(uint32(hr)) {
		t.Fatal(hrError("CreateDXGIFactory1", uint32(hr)))
	}
	defer factory.release()
	if hr, _, _ := syscall.SyscallN(factory.vtbl[vtFactoryEnumAdapters], factory.this(), 0, uintptr(unsafe.Pointer(&adapter))); failed(uint32(hr)) {
		t.Fatal(hrError("EnumAdapters", uint32(hr)))
	}
	defer adapter.release()
	dev, err := newD3DDevice(adapter)
	if err != nil {
		t.Fatal(err)
	}
	return dev, func() { dev.context.release(); dev.device.release() }
}

// solid is w×h B, G, R, A pixels of one colour.
func solid(w, h int, b, g, r byte) []byte {
	pix := make([]byte, w*h*4)
	for i := 0; i < len(pix); i += 4 {
		pix[i], pix[i+1], pix[i+2], pix[i+3] = b, g, r, 0xff
	}
	return pix
}

// testTexture is a w×h B8G8R8A8 texture of pix, standing for a desktop
// image.
func testTexture(t *testing.T, dev *d3dDevice, w, h int, pix []byte) *com {
	t.Helper()
	td := texture2DDesc{Width: uint32(w), Height: uint32(h), MipLevels: 1, ArraySize: 1, Format: formatB8G8R8A8, SampleCount: 1, BindFlags: 0x8} // D3D11_USAGE_DEFAULT, BIND_SHADER_RESOURCE
	init := struct {
		Mem          unsafe.Pointer
		Pitch, Slice uint32
	}{unsafe.Pointer(&pix[0]), uint32(w * 4), uint32(w * h * 4)}
	var tex *com
	if hr, _, _ := syscall.SyscallN(dev.device.vtbl[vtDeviceCreateTexture], dev.device.this(), uintptr(unsafe.Pointer(&td)),
		uintptr(unsafe.Pointer(&init)), uintptr(unsafe.Pointer(&tex))); failed(uint32(hr)) {
		t.Fatal(hrError("CreateTexture2D (source)", uint32(hr)))
	}
	return tex
}
