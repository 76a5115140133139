package capture

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/openbpclient/bpclient/screen"
)

// DXGI desktop duplication over COM vtables, no cgo: a DXGI factory's
// adapters and their outputs, one D3D11 device per adapter that shows
// part of the capture area, one IDXGIOutputDuplication per output. A
// grab acquires each output's next frame with a short timeout: a timeout
// means nothing changed on it, and its last picture stays in canvas
// (unchanged screens cost a copy of the canvas and nothing more). A
// changed desktop image is copied into a staging texture, mapped, and
// its rows copied into canvas by the texture's RowPitch. The pointer is
// the one duplication reports: position per output, shape when it
// changes (monochrome, colour or masked colour), drawn onto the frame
// handed out, never onto canvas.

var (
	d3d11dll = windows.NewLazySystemDLL("d3d11.dll")
	dxgidll  = windows.NewLazySystemDLL("dxgi.dll")

	procD3D11CreateDevice  = d3d11dll.NewProc("D3D11CreateDevice")
	procCreateDXGIFactory1 = dxgidll.NewProc("CreateDXGIFactory1")

	iidIDXGIFactory1   = windows.GUID{Data1: 0x770aae78, Data2: 0xf26f, Data3: 0x4dba, Data4: [8]byte{0xa8, 0x29, 0x25, 0x3c, 0x83, 0xd1, 0xb3, 0x87}}
	iidIDXGIOutput1    = windows.GUID{Data1: 0x00cddea8, Data2: 0x939b, Data3: 0x4b83, Data4: [8]byte{0xa3, 0x40, 0xa6, 0x85, 0x22, 0x66, 0x66, 0xcc}}
	iidID3D11Texture2D = windows.GUID{Data1: 0x6f15aaf2, Data2: 0xd208, Data3: 0x4e89, Data4: [8]byte{0x9a, 0xb4, 0x48, 0x95, 0x35, 0xd3, 0x4f, 0x9c}}
)

// Vtable slots (IUnknown 0–2, IDXGIObject 3–6, then each interface's own
// in its header's order).
const (
	vtQueryInterface = 0
	vtRelease        = 2

	vtFactoryEnumAdapters  = 7  // IDXGIFactory
	vtAdapterEnumOutputs   = 7  // IDXGIAdapter
	vtOutputGetDesc        = 7  // IDXGIOutput
	vtOutput1DuplicateOut  = 22 // IDXGIOutput1
	vtDuplGetDesc          = 7  // IDXGIOutputDuplication
	vtDuplAcquireNextFrame = 8
	vtDuplGetPointerShape  = 11
	vtDuplReleaseFrame     = 14
	vtDeviceCreateTexture  = 5  // ID3D11Device
	vtContextMap           = 14 // ID3D11DeviceContext
	vtContextUnmap         = 15
	vtContextCopyResource  = 47
)

const (
	d3dDriverTypeUnknown  = 0 // with an adapter given
	d3d11SDKVersion       = 7
	formatB8G8R8A8        = 87
	usageStaging          = 3
	cpuAccessRead         = 0x20000
	mapRead               = 1
	rotationIdentity      = 1
	hrWaitTimeout         = 0x887a0027
	hrAccessLost          = 0x887a0026
	hrNotFound            = 0x887a0002
	firstFrameTimeout     = 500 // ms: the first frame after (re)creating comes at once
	frameTimeout          = 10  // ms: nothing new by then = nothing changed
	reduplicateGiveUpTime = 5 * time.Second
)

// com is a COM object: its first word points to its vtable.
type com struct{ vtbl *[64]uintptr }

func (o *com) this() uintptr { return uintptr(unsafe.Pointer(o)) }

func (o *com) release() {
	if o != nil {
		syscall.SyscallN(o.vtbl[vtRelease], o.this())
	}
}

func (o *com) queryInterface(iid *windows.GUID) (*com, uint32) {
	var p *com
	hr, _, _ := syscall.SyscallN(o.vtbl[vtQueryInterface], o.this(), uintptr(unsafe.Pointer(iid)), uintptr(unsafe.Pointer(&p)))
	return p, uint32(hr)
}

func failed(hr uint32) bool { return hr&0x80000000 != 0 }

func hrError(op string, hr uint32) error { return fmt.Errorf("%s: %s", op, hresultText(hr)) }

type outputDesc struct { // DXGI_OUTPUT_DESC
	DeviceName [32]uint16
	Coords     rect
	Attached   int32
	Rotation   uint32
	Monitor    uintptr
}

type outduplDesc struct { // DXGI_OUTDUPL_DESC
	Width, Height, RefreshNum, RefreshDen, Format, Scanline, Scaling uint32
	Rotation                                                         uint32
	InSystemMemory                                                   int32
}

type frameInfo struct { // DXGI_OUTDUPL_FRAME_INFO
	LastPresentTime, LastMouseUpdateTime      int64
	AccumulatedFrames                         uint32
	RectsCoalesced, ProtectedContentMaskedOut int32
	PointerX, PointerY, PointerVisible        int32
	TotalMetadataBufferSize, PointerShapeSize uint32
}

type shapeInfo struct { // DXGI_OUTDUPL_POINTER_SHAPE_INFO
	Type, Width, Height, Pitch uint32
	HotX, HotY                 int32
}

type texture2DDesc struct { // D3D11_TEXTURE2D_DESC
	Width, Height, MipLevels, ArraySize, Format uint32
	SampleCount, SampleQuality                  uint32
	Usage, BindFlags, CPUAccess, MiscFlags      uint32
}

type mappedSubresource struct { // D3D11_MAPPED_SUBRESOURCE
	Data                 unsafe.Pointer
	RowPitch, DepthPitch uint32
}

// d3dDevice is one adapter's device and its immediate context.
type d3dDevice struct{ device, context *com }

// dxgiOutput is one monitor's duplication.
type dxgiOutput struct {
	screen  Screen // in desktop coordinates
	place   blit   // where it goes in the frame
	output  *com   // IDXGIOutput1
	dev     *d3dDevice
	dupl    *com // nil: to be (re)created
	staging *com // a CPU-readable copy of the desktop image
	width   int  // of the duplicated image (and staging)
	height  int
	got     bool      // canvas holds a picture of it
	lostAt  time.Time // access lost and not yet re-created since
}

// dxgiCapturer composes its outputs into canvas; after the device is
// lost, gdi grabs instead for the rest of its life.
type dxgiCapturer struct {
	area    Screen
	devices []*d3dDevice
	outs    []*dxgiOutput
	canvas  screen.Frame

	pointer pointerPlace
	shape   pointerShape

	gdi    *gdiCapturer
	broken error // DXGI lost and GDI would not open: every grab fails
}

// openDXGI duplicates every output that shows part of a; any failure is
// the reason to use GDI instead.
func openDXGI(a Screen, monitors []Screen) (_ *dxgiCapturer, err error) {
	if err := d3d11dll.Load(); err != nil {
		return nil, fmt.Errorf("no d3d11.dll: %w", err)
	}
	if err := dxgidll.Load(); err != nil {
		return nil, fmt.Errorf("no dxgi.dll: %w", err)
	}
	var factory *com
	if hr, _, _ := procCreateDXGIFactory1.Call(uintptr(unsafe.Pointer(&iidIDXGIFactory1)), uintptr(unsafe.Pointer(&factory))); failed(uint32(hr)) {
		return nil, hrError("CreateDXGIFactory1", uint32(hr))
	}
	defer factory.release()
	c := &dxgiCapturer{area: a}
	defer func() {
		if err != nil {
			c.releaseDXGI()
		}
	}()
	for ai := 0; ; ai++ {
		var adapter *com
		hr, _, _ := syscall.SyscallN(factory.vtbl[vtFactoryEnumAdapters], factory.this(), uintptr(ai), uintptr(unsafe.Pointer(&adapter)))
		if uint32(hr) == hrNotFound {
			break
		}
		if failed(uint32(hr)) {
			return nil, hrError("IDXGIFactory::EnumAdapters", uint32(hr))
		}
		err := c.addOutputs(adapter)
		adapter.release()
		if err != nil {
			return nil, err
		}
	}
	if err := c.covers(monitors); err != nil {
		return nil, err
	}
	c.canvas.Resize(a.Width, a.Height)
	// The first frame of a duplication is the whole desktop image: taking
	// it here tries every step of a grab before DXGI is chosen.
	for _, o := range c.outs {
		if err := c.grabOutput(o); err != nil {
			return nil, err
		}
		if !o.got {
			return nil, fmt.Errorf("no first frame of %s within %d ms", o.screen.Name, firstFrameTimeout)
		}
	}
	return c, nil
}

// addOutputs duplicates adapter's outputs inside the area, on a device
// of its own made when the first is found.
func (c *dxgiCapturer) addOutputs(adapter *com) error {
	var dev *d3dDevice
	for oi := 0; ; oi++ {
		var output *com
		hr, _, _ := syscall.SyscallN(adapter.vtbl[vtAdapterEnumOutputs], adapter.this(), uintptr(oi), uintptr(unsafe.Pointer(&output)))
		if uint32(hr) == hrNotFound {
			return nil
		}
		if failed(uint32(hr)) {
			return hrError("IDXGIAdapter::EnumOutputs", uint32(hr))
		}
		var d outputDesc
		syscall.SyscallN(output.vtbl[vtOutputGetDesc], output.this(), uintptr(unsafe.Pointer(&d)))
		s := Screen{Name: syscall.UTF16ToString(d.DeviceName[:]), X: int(d.Coords.Left), Y: int(d.Coords.Top),
			Width: int(d.Coords.Right - d.Coords.Left), Height: int(d.Coords.Bottom - d.Coords.Top)}
		place, inside := placeOutput(c.area, s)
		if d.Attached == 0 || !inside {
			output.release()
			continue
		}
		if d.Rotation > rotationIdentity {
			output.release()
			return fmt.Errorf("output %s is rotated (DXGI_MODE_ROTATION %d), which this capture does not turn", s.Name, d.Rotation)
		}
		output1, hr1 := output.queryInterface(&iidIDXGIOutput1)
		output.release()
		if failed(hr1) {
			return hrError("IDXGIOutput1 of "+s.Name, hr1)
		}
		if dev == nil {
			var err error
			if dev, err = newD3DDevice(adapter); err != nil {
				output1.release()
				return err
			}
			c.devices = append(c.devices, dev)
		}
		o := &dxgiOutput{screen: s, place: place, output: output1, dev: dev}
		c.outs = append(c.outs, o)
		if err := o.duplicate(); err != nil {
			return err
		}
	}
}

func newD3DDevice(adapter *com) (*d3dDevice, error) {
	var d d3dDevice
	var level uint32
	hr, _, _ := procD3D11CreateDevice.Call(adapter.this(), d3dDriverTypeUnknown, 0, 0, 0, 0, d3d11SDKVersion,
		uintptr(unsafe.Pointer(&d.device)), uintptr(unsafe.Pointer(&level)), uintptr(unsafe.Pointer(&d.context)))
	if failed(uint32(hr)) {
		return nil, hrError("D3D11CreateDevice", uint32(hr))
	}
	return &d, nil
}

// covers checks that every monitor Windows lists inside the area is one
// of the outputs duplicated (a monitor whose adapter DXGI does not list,
// an indirect display for one, would stay black).
func (c *dxgiCapturer) covers(monitors []Screen) error {
	if len(c.outs) == 0 {
		return errors.New("no DXGI output shows the capture area")
	}
	for _, m := range monitors {
		if _, inside := placeOutput(c.area, m); !inside {
			continue
		}
		found := false
		for _, o := range c.outs {
			found = found || (o.screen.X == m.X && o.screen.Y == m.Y && o.screen.Width == m.Width && o.screen.Height == m.Height)
		}
		if !found {
			return fmt.Errorf("monitor %s (%dx%d%+d%+d) is not among the DXGI outputs", m.Name, m.Width, m.Height, m.X, m.Y)
		}
	}
	return nil
}

// duplicate (re)creates o's duplication and the staging texture of its
// size.
func (o *dxgiOutput) duplicate() error {
	var dupl *com
	hr, _, _ := syscall.SyscallN(o.output.vtbl[vtOutput1DuplicateOut], o.output.this(), o.dev.device.this(), uintptr(unsafe.Pointer(&dupl)))
	if failed(uint32(hr)) {
		return hrError("IDXGIOutput1::DuplicateOutput", uint32(hr))
	}
	var d outduplDesc
	syscall.SyscallN(dupl.vtbl[vtDuplGetDesc], dupl.this(), uintptr(unsafe.Pointer(&d)))
	if d.Format != formatB8G8R8A8 {
		dupl.release()
		return fmt.Errorf("IDXGIOutputDuplication of %s: DXGI_FORMAT %d, not B8G8R8A8_UNORM", o.screen.Name, d.Format)
	}
	if err := o.makeStaging(int(d.Width), int(d.Height)); err != nil {
		dupl.release()
		return err
	}
	o.dupl, o.got, o.lostAt = dupl, false, time.Time{}
	return nil
}

// makeStaging makes the staging texture w×h unless it is.
func (o *dxgiOutput) makeStaging(w, h int) error {
	if o.staging != nil && w == o.width && h == o.height {
		return nil
	}
	o.staging.release()
	o.staging = nil
	td := texture2DDesc{Width: uint32(w), Height: uint32(h), MipLevels: 1, ArraySize: 1, Format: formatB8G8R8A8,
		SampleCount: 1, Usage: usageStaging, CPUAccess: cpuAccessRead}
	hr, _, _ := syscall.SyscallN(o.dev.device.vtbl[vtDeviceCreateTexture], o.dev.device.this(),
		uintptr(unsafe.Pointer(&td)), 0, uintptr(unsafe.Pointer(&o.staging)))
	if failed(uint32(hr)) {
		return hrError("ID3D11Device::CreateTexture2D (staging)", uint32(hr))
	}
	o.width, o.height = w, h
	return nil
}

// copyTexture copies tex (a desktop image of the staging texture's size)
// through the staging texture into o's place in canvas, and returns the
// mapped row pitch.
func (o *dxgiOutput) copyTexture(tex *com, canvas *screen.Frame) (int, error) {
	ctx := o.dev.context
	syscall.SyscallN(ctx.vtbl[vtContextCopyResource], ctx.this(), o.staging.this(), tex.this())
	var m mappedSubresource
	hr, _, _ := syscall.SyscallN(ctx.vtbl[vtContextMap], ctx.this(), o.staging.this(), 0, mapRead, 0, uintptr(unsafe.Pointer(&m)))
	if failed(uint32(hr)) {
		return 0, hrError("ID3D11DeviceContext::Map", uint32(hr))
	}
	defer syscall.SyscallN(ctx.vtbl[vtContextUnmap], ctx.this(), o.staging.this(), 0)
	pitch := int(m.RowPitch)
	if m.Data == nil || pitch < o.width*screen.BytesPerPixel {
		return pitch, fmt.Errorf("ID3D11DeviceContext::Map: row pitch %d for %d pixels", pitch, o.width)
	}
	b := o.place
	b.W, b.H = min(b.W, o.width-b.FromX), min(b.H, o.height-b.FromY) // a mode change not yet seen by the layout
	if b.W > 0 && b.H > 0 {
		copyRows(canvas, b, unsafe.Slice((*byte)(m.Data), pitch*o.height), pitch)
	}
	return pitch, nil
}

// Screens implements Capturer.
func (c *dxgiCapturer) Screens() ([]Screen, error) { return listMonitors() }

// Backend implements Capturer.
func (c *dxgiCapturer) Backend() Backend {
	if c.gdi != nil {
		return c.gdi.Backend()
	}
	return Backend{Name: "dxgi"}
}

// Grab implements Capturer.
func (c *dxgiCapturer) Grab(f *screen.Frame) error {
	if c.gdi != nil {
		return c.gdi.Grab(f)
	}
	if c.broken != nil {
		return c.broken
	}
	for _, o := range c.outs {
		if err := c.grabOutput(o); err != nil {
			if err := c.fallBack("DXGI lost: " + err.Error()); err != nil {
				return err
			}
			return c.gdi.Grab(f)
		}
	}
	f.Resize(c.area.Width, c.area.Height)
	copy(f.Pix, c.canvas.Pix)
	if p := c.pointer; p.visible && c.shape.Buf != nil {
		drawPointer(f, c.shape, p.x-c.area.X, p.y-c.area.Y)
	}
	f.Time = time.Now()
	return nil
}

// grabOutput takes o's next frame into canvas, if it has one. Access lost
// (a desktop switch, UAC's secure desktop, a new mode) re-creates the
// duplication at the next grab; while that fails its last picture stays,
// up to reduplicateGiveUpTime. Any other failure is returned: the device is lost.
func (c *dxgiCapturer) grabOutput(o *dxgiOutput) error {
	if o.dupl == nil {
		if err := o.duplicate(); err != nil {
			if time.Since(o.lostAt) > reduplicateGiveUpTime {
				return fmt.Errorf("access lost and not regained: %w", err)
			}
			return nil
		}
	}
	timeout := uintptr(frameTimeout)
	if !o.got {
		timeout = firstFrameTimeout
	}
	var fi frameInfo
	var res *com
	hr, _, _ := syscall.SyscallN(o.dupl.vtbl[vtDuplAcquireNextFrame], o.dupl.this(), timeout, uintptr(unsafe.Pointer(&fi)), uintptr(unsafe.Pointer(&res)))
	switch {
	case uint32(hr) == hrWaitTimeout:
		return nil
	case uint32(hr) == hrAccessLost:
		o.dupl.release()
		o.dupl, o.lostAt = nil, time.Now()
		return nil // re-created at the next grab
	case failed(uint32(hr)):
		return hrError("IDXGIOutputDuplication::AcquireNextFrame", uint32(hr))
	}
	defer syscall.SyscallN(o.dupl.vtbl[vtDuplReleaseFrame], o.dupl.this())
	defer res.release()
	c.notePointer(o, &fi)
	if fi.LastPresentTime == 0 && o.got {
		return nil // only the pointer moved
	}
	tex, hr1 := res.queryInterface(&iidID3D11Texture2D)
	if failed(hr1) {
		return hrError("ID3D11Texture2D of the frame", hr1)
	}
	_, err := o.copyTexture(tex, &c.canvas)
	tex.release()
	if err != nil {
		return err
	}
	o.got = true
	return nil
}

// notePointer keeps what a frame says of the pointer: where it is (each
// output reports it over itself) and its shape when it changed.
func (c *dxgiCapturer) notePointer(o *dxgiOutput, fi *frameInfo) {
	if fi.LastMouseUpdateTime != 0 {
		c.pointer.note(o.screen, fi.PointerVisible != 0, int(fi.PointerX), int(fi.PointerY))
	}
	if fi.PointerShapeSize == 0 {
		return
	}
	buf := make([]byte, fi.PointerShapeSize)
	var need uint32
	var si shapeInfo
	hr, _, _ := syscall.SyscallN(o.dupl.vtbl[vtDuplGetPointerShape], o.dupl.this(), uintptr(len(buf)),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&need)), uintptr(unsafe.Pointer(&si)))
	if failed(uint32(hr)) {
		return // the old shape stays
	}
	rows := int(si.Height)
	if int(si.Pitch)*rows > len(buf) {
		return
	}
	c.shape = pointerShape{Type: int(si.Type), Width: int(si.Width), Height: rows, Pitch: int(si.Pitch), Buf: buf}
}

// fallBack switches to GDI for the rest of the capture.
func (c *dxgiCapturer) fallBack(why string) error {
	c.releaseDXGI()
	g, err := openGDI(c.area)
	if err != nil {
		c.broken = fmt.Errorf("capture: %s, and GDI: %w", why, err)
		return c.broken
	}
	g.fallback, c.gdi = why, g
	return nil
}

func (c *dxgiCapturer) releaseDXGI() {
	for _, o := range c.outs {
		o.dupl.release()
		o.staging.release()
		o.output.release()
	}
	for _, d := range c.devices {
		d.context.release()
		d.device.release()
	}
	c.outs, c.devices = nil, nil
}

// Close implements Capturer.
func (c *dxgiCapturer) Close() error {
	c.releaseDXGI()
	if c.gdi != nil {
		return c.gdi.Close()
	}
	return nil
}
