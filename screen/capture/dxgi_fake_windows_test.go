package capture

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/openbpclient/bpclient/screen"
)

// A stand-in for a duplication (wine has none: DuplicateOutput is
// E_NOTIMPL): COM objects made of Go callbacks, an IDXGIOutput1 whose
// DuplicateOutput hands out an IDXGIOutputDuplication that plays a
// script of frames, each frame's resource answering QueryInterface with
// a real texture of a real D3D11 device. The capture's own code does the
// rest, as on Windows: acquire, copy through staging, map, copy by pitch,
// draw the pointer, release.

// fakeStep is what one AcquireNextFrame returns.
type fakeStep struct {
	hr      uint32 // 0: a frame
	tex     *com   // the desktop image; nil: only the pointer changed
	mouse   bool   // the pointer is in this frame
	visible bool
	x, y    int32
	shape   *pointerShape
}

type fakeDuplication struct {
	script     []fakeStep
	step       fakeStep // the frame acquired
	duplicates int      // DuplicateOutput calls
	releases   int      // ReleaseFrame calls
	w, h       uint32
}

var (
	fakeDup          *fakeDuplication // the one a test runs (callbacks find it here)
	fakeVtblOutput   [64]uintptr
	fakeVtblDupl     [64]uintptr
	fakeVtblResource [64]uintptr
	fakeOutputObj    = &com{vtbl: &fakeVtblOutput}
	fakeDuplObj      = &com{vtbl: &fakeVtblDupl}
	fakeResourceObj  = &com{vtbl: &fakeVtblResource}
)

func init() {
	ok := windows.NewCallback(func(this uintptr) uintptr { return 1 }) // AddRef and Release
	for _, vt := range []*[64]uintptr{&fakeVtblOutput, &fakeVtblDupl, &fakeVtblResource} {
		vt[1], vt[2] = ok, ok
	}
	fakeVtblOutput[vtOutput1DuplicateOut] = windows.NewCallback(func(this, device uintptr, out **com) uintptr {
		fakeDup.duplicates++
		*out = fakeDuplObj
		return 0
	})
	fakeVtblDupl[vtDuplGetDesc] = windows.NewCallback(func(this uintptr, d *outduplDesc) uintptr {
		*d = outduplDesc{Width: fakeDup.w, Height: fakeDup.h, Format: formatB8G8R8A8, Rotation: rotationIdentity}
		return 0
	})
	fakeVtblDupl[vtDuplAcquireNextFrame] = windows.NewCallback(func(this, timeout uintptr, fi *frameInfo, res **com) uintptr {
		if len(fakeDup.script) == 0 {
			return hrWaitTimeout
		}
		s := fakeDup.script[0]
		fakeDup.script = fakeDup.script[1:]
		if s.hr != 0 {
			return uintptr(s.hr)
		}
		fakeDup.step = s
		*fi = frameInfo{AccumulatedFrames: 1}
		if s.tex != nil {
			fi.LastPresentTime = 1
		}
		if s.mouse {
			fi.LastMouseUpdateTime = 1
			fi.PointerX, fi.PointerY = s.x, s.y
			if s.visible {
				fi.PointerVisible = 1
			}
		}
		if s.shape != nil {
			fi.PointerShapeSize = uint32(len(s.shape.Buf))
		}
		*res = fakeResourceObj
		return 0
	})
	fakeVtblDupl[vtDuplGetPointerShape] = windows.NewCallback(func(this, size uintptr, buf unsafe.Pointer, need *uint32, si *shapeInfo) uintptr {
		s := fakeDup.step.shape
		copy(unsafe.Slice((*byte)(buf), size), s.Buf)
		*need = uint32(len(s.Buf))
		*si = shapeInfo{Type: uint32(s.Type), Width: uint32(s.Width), Height: uint32(s.Height), Pitch: uint32(s.Pitch)}
		return 0
	})
	fakeVtblDupl[vtDuplReleaseFrame] = windows.NewCallback(func(this uintptr) uintptr {
		fakeDup.releases++
		return 0
	})
	fakeVtblResource[vtQueryInterface] = windows.NewCallback(func(this uintptr, iid *windows.GUID, out **com) uintptr {
		if *iid != iidID3D11Texture2D || fakeDup.step.tex == nil {
			return 0x80004002 // E_NOINTERFACE
		}
		t := fakeDup.step.tex
		callVtbl(t, 1) // AddRef: the capture releases what it is given
		*out = t
		return 0
	})
}

// growStack uses about n KiB of stack, so that the goroutine's stack is
// at least that large afterwards.
func growStack(n int) byte {
	var b [1024]byte
	b[n%1024] = byte(n)
	if n > 1 {
		return growStack(n-1) + b[n%1024]
	}
	return b[0]
}

// TestDXGIGrabWithFakeDuplication: a 16×8 capture of one output through
// the script: the first frame's picture with a colour pointer over it;
// a timeout keeps the picture (and the pointer); a pointer-only frame
// moves the pointer over the same picture; access lost keeps the last
// picture and re-creates the duplication, whose next frame is the new
// picture; a hidden pointer is not drawn; a lost device goes on with GDI
// (the painted Xvfb under it, when TestWineScreenCapture runs it).
func TestDXGIGrabWithFakeDuplication(t *testing.T) {
	// The fakes are Go callbacks called from inside the capture's
	// syscalls, with pointers to its locals: a callback that grew the
	// goroutine's stack would move those locals under the pointers. A
	// stack grown beforehand, and no GC to shrink it, keep it still.
	// (Real COM runs no Go code in the call, and the runtime does not
	// move the stack of a goroutine in a syscall.)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	growStack(64)
	dev, cleanup := testDevice(t)
	defer cleanup()
	const w, h = 16, 8
	red := testTexture(t, dev, w, h, solid(w, h, 0x00, 0x00, 0xff))
	defer red.release()
	blue := testTexture(t, dev, w, h, solid(w, h, 0xff, 0x00, 0x00))
	defer blue.release()
	white := &pointerShape{Type: shapeColor, Width: 2, Height: 2, Pitch: 8, Buf: []byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	fakeDup = &fakeDuplication{w: w, h: h, script: []fakeStep{
		{tex: red, mouse: true, visible: true, x: 3, y: 2, shape: white},
		{hr: hrWaitTimeout},
		{mouse: true, visible: true, x: 10, y: 5},
		{hr: hrAccessLost},
		{tex: blue},
		{mouse: true, visible: false},
		{hr: 0x887a0005}, // DXGI_ERROR_DEVICE_REMOVED
	}}
	defer func() { fakeDup = nil }()

	a := Screen{Width: w, Height: h}
	c := &dxgiCapturer{area: a}
	o := &dxgiOutput{screen: a, place: blit{W: w, H: h}, output: fakeOutputObj, dev: dev}
	c.outs = []*dxgiOutput{o}
	c.canvas.Resize(w, h)
	defer func() { c.devices = nil; c.Close() }() // the device is the test's
	if err := o.duplicate(); err != nil {
		t.Fatal(err)
	}
	var f screen.Frame
	grab := func(what string, want func(x, y int) uint32) {
		t.Helper()
		if err := c.Grab(&f); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if b := c.Backend(); b.Name != "dxgi" {
			t.Fatalf("%s: backend %+v", what, b)
		}
		for y := range h {
			for x := range w {
				if got := rgbOf(&f, x, y); got != want(x, y) {
					t.Fatalf("%s: pixel %d,%d is %06x, want %06x", what, x, y, got, want(x, y))
				}
			}
		}
	}
	pointerAt := func(px, py int, under uint32) func(x, y int) uint32 {
		return func(x, y int) uint32 {
			if x >= px && x < px+2 && y >= py && y < py+2 {
				return 0xffffff
			}
			return under
		}
	}
	grab("first frame", pointerAt(3, 2, 0xff0000))
	grab("timeout", pointerAt(3, 2, 0xff0000))
	grab("pointer moved", pointerAt(10, 5, 0xff0000))
	grab("access lost", pointerAt(10, 5, 0xff0000))
	if o.dupl != nil {
		t.Fatal("access lost: the duplication was kept")
	}
	grab("re-created", pointerAt(10, 5, 0x0000ff))
	if fakeDup.duplicates != 2 {
		t.Errorf("DuplicateOutput called %d times, want 2 (open, after access lost)", fakeDup.duplicates)
	}
	grab("pointer hidden", func(int, int) uint32 { return 0x0000ff })
	if fakeDup.releases != 4 {
		t.Errorf("ReleaseFrame called %d times, want 4 (once a frame acquired)", fakeDup.releases)
	}

	// The device lost: GDI from now on, saying why.
	if err := c.Grab(&f); err != nil {
		t.Fatalf("device lost: %v", err)
	}
	if b := c.Backend(); b.Name != "gdi" || !strings.Contains(b.Fallback, "DXGI_ERROR_DEVICE_REMOVED") {
		t.Fatalf("device lost: backend %+v, want gdi naming DXGI_ERROR_DEVICE_REMOVED", b)
	}
	// Under TestWineScreenCapture the top-left of the screen is painted
	// the colour of the first pixel BPCLIENT_CAPTURE_EXPECT names.
	if want := os.Getenv("BPCLIENT_CAPTURE_EXPECT"); want != "" {
		first := strings.Split(strings.Split(want, ";")[1], ",")
		if got := rgbOf(&f, 5, 5); fmt.Sprintf("%06x", got) != first[2] {
			t.Errorf("GDI after the device was lost: pixel 5,5 is %06x, want %s", got, first[2])
		}
	}
}
