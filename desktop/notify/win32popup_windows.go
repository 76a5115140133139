package notify

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ServerWin32Popup is the Server a Windows Notifier names: its own
// always-on-top window, not the toast centre.
const ServerWin32Popup = "bpclient win32 pop-up"

// defaultTimeout is how long a pop-up stays when the caller leaves it to
// "the server" (dunst's default for normal urgency); critical ones stay.
const defaultTimeout = 10 * time.Second

// The caps the window applies itself, whatever the caller did: a title
// line and a few lines of body fit, no more.
const (
	capTitle = 100
	capBody  = 500
	capLabel = 32
)

// errStopped: the notifier's window thread has ended.
var errStopped = errors.New("notify: the pop-up window thread has stopped")

func open(ctx context.Context, _ Options) (Notifier, error) {
	if err := procCreateWindowExW.Find(); err != nil {
		return nil, unavailable("user32 has no CreateWindowExW: %v", err)
	}
	w := &win32Popups{requests: make(chan func(), 16), events: make(chan Event, 64),
		done: make(chan struct{}), exited: make(chan struct{}), open: map[ID]*popupWindow{}, byHwnd: map[uintptr]*popupWindow{}}
	started := make(chan error, 1)
	go w.loop(started)
	select {
	case err := <-started:
		if err != nil {
			return nil, unavailable("cannot create the pop-up window class: %v", err)
		}
	case <-ctx.Done():
		// The window thread may still be setting up: stop it once it
		// has (Stop needs its message-only window).
		go func() {
			if err := <-started; err == nil {
				w.Stop()
			}
		}()
		return nil, ctx.Err()
	}
	return w, nil
}

// win32Popups is a Notifier that draws its pop-ups itself: small
// topmost windows that take no focus (WS_EX_NOACTIVATE, a tool window
// off the taskbar), stacked at the bottom right of the work area, with a
// title, a body, the buttons and a close box. Toasts with buttons would
// need WinRT and a Start-menu shortcut carrying our AppUserModelID; this
// works on every Windows, and under wine for the tests.
//
// All windows belong to one goroutine locked to its OS thread (Win32
// windows answer only on the thread that made them): loop. Show and Close
// hand it closures through requests and wake it with a message to its
// message-only window. Its state below is touched by that thread only.
type win32Popups struct {
	requests chan func()
	events   chan Event
	done     chan struct{} // closed by Stop
	exited   chan struct{} // closed when loop has ended
	stop     sync.Once

	// Set by loop before it reports started; read-only afterwards.
	msgWnd    uintptr
	className *uint16
	instance  uintptr
	wndProc   uintptr

	// The window thread's own.
	nextID      ID
	open        map[ID]*popupWindow
	byHwnd      map[uintptr]*popupWindow
	order       []*popupWindow // oldest first: the stacking order
	titleFont   uintptr
	bodyFont    uintptr
	accentBrush uintptr
}

// popupWindow is one pop-up on the screen.
type popupWindow struct {
	id      ID
	hwnd    uintptr
	title   []uint16
	body    []uint16
	buttons map[uintptr]string // control ID -> action ID
	deflt   bool               // a click on the body is DefaultAction
	timer   bool
}

// Control IDs of a pop-up's children, and its expiry timer's.
const (
	closeBoxID  = 100
	firstButton = 101
	expiryTimer = 1
)

// The pop-up's size and places, in pixels (96 DPI: the agent is not
// DPI-aware, so Windows scales the window on high-DPI screens).
const (
	popupWidth   = 360
	popupHeight  = 132
	popupMargin  = 12
	popupGap     = 8
	accentWidth  = 6
	buttonWidth  = 96
	buttonHeight = 28
	closeBoxSize = 22
)

// loop owns the window thread: it makes the class and the message-only
// window, reports on started, and pumps messages until Stop.
func (w *win32Popups) loop(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(w.exited)
	if err := w.setUp(); err != nil {
		started <- err
		return
	}
	started <- nil
	var m msg
	for {
		r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
		if int32(r) <= 0 { // WM_QUIT, or an error
			break
		}
		procTranslateMessage.Call(uintptr(unsafe.Pointer(&m)))
		procDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
	}
	w.tearDown()
}

func (w *win32Popups) setUp() error {
	w.instance, _, _ = procGetModuleHandleW.Call(0)
	// One class per Notifier, named after it: a second Notifier in the
	// process (the tests) registers its own wndproc. A callback is never
	// freed (Go keeps at most about 2000): one per Notifier is few.
	name, err := windows.UTF16PtrFromString(fmt.Sprintf("BPClientPopup.%p", w))
	if err != nil {
		return err
	}
	w.className = name
	w.wndProc = windows.NewCallback(w.handle)
	cursor, _, _ := procLoadCursorW.Call(0, idcArrow)
	background, _, _ := procGetSysColorBrush.Call(colorWindow)
	wc := wndClassEx{wndProc: w.wndProc, instance: w.instance, cursor: cursor, background: background, className: name}
	wc.size = uint32(unsafe.Sizeof(wc))
	if atom, _, err := procRegisterClassExW.Call(uintptr(unsafe.Pointer(&wc))); atom == 0 {
		return fmt.Errorf("RegisterClassExW: %w", err)
	}
	hwnd, _, err := procCreateWindowExW.Call(0, uintptr(unsafe.Pointer(name)), 0, 0, 0, 0, 0, 0, hwndMessage, 0, w.instance, 0)
	if hwnd == 0 {
		procUnregisterClassW.Call(uintptr(unsafe.Pointer(name)), w.instance)
		return fmt.Errorf("CreateWindowExW (message-only): %w", err)
	}
	w.msgWnd = hwnd
	w.titleFont = font(fwBold, 17)
	w.bodyFont = font(fwNormal, 15)
	w.accentBrush, _, _ = procCreateSolidBrush.Call(accentColour)
	return nil
}

// accentColour is the strip on the pop-up's left (Windows' accent blue,
// RGB 0, 120, 215 as a COLORREF), which also lets the tests find it in a
// screenshot.
const accentColour = 0xD77800

func font(weight, height int) uintptr {
	face, _ := windows.UTF16PtrFromString("Segoe UI")
	h, _, _ := procCreateFontW.Call(uintptr(-height), 0, 0, 0, uintptr(weight), 0, 0, 0, defaultCharset, 0, 0, clearTypeQual, 0,
		uintptr(unsafe.Pointer(face)))
	return h
}

func (w *win32Popups) tearDown() {
	for _, p := range slices.Clone(w.order) {
		w.destroy(p)
	}
	procDestroyWindow.Call(w.msgWnd)
	for _, h := range []uintptr{w.titleFont, w.bodyFont, w.accentBrush} {
		if h != 0 {
			procDeleteObject.Call(h)
		}
	}
	procUnregisterClassW.Call(uintptr(unsafe.Pointer(w.className)), w.instance)
	close(w.events)
}

// do runs f on the window thread and waits for it.
func (w *win32Popups) do(ctx context.Context, f func()) error {
	ran := make(chan struct{})
	select {
	case w.requests <- func() { f(); close(ran) }:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.exited:
		return errStopped
	}
	if ok, _, err := procPostMessageW.Call(w.msgWnd, wmApp, 0, 0); ok == 0 {
		return fmt.Errorf("notify: wake the pop-up thread: %w", err)
	}
	select {
	case <-ran:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-w.exited:
		return errStopped
	}
}

// emit hands an event to the reader; Stop unblocks it.
func (w *win32Popups) emit(ev Event) {
	select {
	case w.events <- ev:
	case <-w.done:
	}
}

// Show implements Notifier.
func (w *win32Popups) Show(ctx context.Context, n Notification) (ID, error) {
	var id ID
	var err error
	if derr := w.do(ctx, func() { id, err = w.create(n) }); derr != nil {
		return 0, fmt.Errorf("notify: show %q: %w", n.Title, derr)
	}
	if err != nil {
		return 0, fmt.Errorf("notify: show %q: %w", n.Title, err)
	}
	return id, nil
}

// Close implements Notifier.
func (w *win32Popups) Close(ctx context.Context, id ID) error {
	if err := w.do(ctx, func() { w.finish(id, ClosedByCall) }); err != nil {
		return fmt.Errorf("notify: close %d: %w", id, err)
	}
	return nil
}

// Events implements Notifier.
func (w *win32Popups) Events() <-chan Event { return w.events }

// Capabilities implements Notifier.
func (w *win32Popups) Capabilities() Capabilities {
	return Capabilities{Server: ServerWin32Popup, Actions: true}
}

// Stop implements Notifier: the window thread takes its pop-ups off the
// screen and ends; Events is closed then.
func (w *win32Popups) Stop() error {
	w.stop.Do(func() {
		close(w.done)
		select {
		case <-w.exited:
			return
		default:
		}
		procPostMessageW.Call(w.msgWnd, wmApp, 1, 0)
		<-w.exited
	})
	return nil
}
