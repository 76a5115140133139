package idle

import (
	"context"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The Windows calls, pure Go (no cgo): user32's GetLastInputInfo for the
// idle time, wtsapi32's WTSQuerySessionInformationW(WTSSessionInfoEx) for
// the session's lock state, and user32's OpenInputDesktop where that
// class is missing (before Windows 7; wine).
var (
	user32                   = windows.NewLazySystemDLL("user32.dll")
	kernel32                 = windows.NewLazySystemDLL("kernel32.dll")
	wtsapi32                 = windows.NewLazySystemDLL("wtsapi32.dll")
	procGetLastInputInfo     = user32.NewProc("GetLastInputInfo")
	procOpenInputDesktop     = user32.NewProc("OpenInputDesktop")
	procCloseDesktop         = user32.NewProc("CloseDesktop")
	procGetTickCount         = kernel32.NewProc("GetTickCount")
	procWTSQuerySessionInfoW = wtsapi32.NewProc("WTSQuerySessionInformationW")
)

const (
	wtsCurrentServer  = 0
	wtsCurrentSession = 0xFFFFFFFF
	wtsSessionInfoEx  = 25
	desktopSwitch     = 0x0100 // DESKTOP_SWITCHDESKTOP
)

// The lock sources, by the names Details gives.
const (
	LockWTSSession   = "wts-session-info"
	LockInputDesktop = "input-desktop"
)

// lastInputInfo is LASTINPUTINFO.
type lastInputInfo struct {
	size uint32
	time uint32
}

// win reads the idle time from GetLastInputInfo: the tick of the last
// input event of this session (any device), which Windows keeps itself;
// nothing is hooked and no input is seen.
type win struct {
	lock string // LockWTSSession or LockInputDesktop, chosen at Open
	// inverted: Windows 7 and Server 2008 R2 report the lock flags the
	// other way round (documented on WTSINFOEX_LEVEL1_W).
	inverted bool
}

func open(Options) (Source, error) {
	if err := procGetLastInputInfo.Find(); err != nil {
		return nil, unavailable("user32 has no GetLastInputInfo: %v", err)
	}
	w := &win{lock: LockInputDesktop}
	if v := windows.RtlGetVersion(); v.MajorVersion == 6 && v.MinorVersion == 1 {
		w.inverted = true
	}
	if _, err := w.wtsLocked(); err == nil {
		w.lock = LockWTSSession
	}
	if _, err := w.Read(context.Background()); err != nil {
		return nil, unavailable("%v", err)
	}
	return w, nil
}

// Read implements Source.
func (w *win) Read(ctx context.Context) (Reading, error) {
	if err := ctx.Err(); err != nil {
		return Reading{}, err
	}
	info := lastInputInfo{size: uint32(unsafe.Sizeof(lastInputInfo{}))}
	if ok, _, err := procGetLastInputInfo.Call(uintptr(unsafe.Pointer(&info))); ok == 0 {
		return Reading{}, fmt.Errorf("idle: GetLastInputInfo: %w", err)
	}
	// Taken after the last input, so that now - then is never negative.
	now, _, _ := procGetTickCount.Call()
	r := Reading{Idle: sinceTick(uint32(now), info.time)}
	if w.lock == LockWTSSession {
		locked, err := w.wtsLocked()
		if err != nil {
			return Reading{}, err
		}
		r.Locked = locked
	} else {
		r.Locked = inputDesktopLocked()
	}
	return r, nil
}

// wtsLocked asks the session's WTSINFOEX level 1 for its lock flag.
func (w *win) wtsLocked() (bool, error) {
	if err := procWTSQuerySessionInfoW.Find(); err != nil {
		return false, err
	}
	var buf *byte
	var n uint32
	ok, _, err := procWTSQuerySessionInfoW.Call(wtsCurrentServer, wtsCurrentSession, wtsSessionInfoEx,
		uintptr(unsafe.Pointer(&buf)), uintptr(unsafe.Pointer(&n)))
	if ok == 0 {
		return false, fmt.Errorf("idle: WTSQuerySessionInformationW(WTSSessionInfoEx): %w", err)
	}
	defer windows.WTSFreeMemory(uintptr(unsafe.Pointer(buf)))
	if buf == nil {
		return false, errWTSNoLockState
	}
	return wtsLockState(unsafe.Slice(buf, n), w.inverted)
}

// inputDesktopLocked: while the session is locked the input desktop is
// Winlogon's secure desktop, which a user's program cannot open. (The
// UAC prompt's secure desktop looks the same for its few seconds.)
func inputDesktopLocked() bool {
	h, _, _ := procOpenInputDesktop.Call(0, 0, desktopSwitch)
	if h == 0 {
		return true
	}
	procCloseDesktop.Call(h)
	return false
}

// Name implements Source.
func (w *win) Name() string { return SourceWindows }

// Details implements Detailer.
func (w *win) Details() Details { return Details{Lock: w.lock} }

// Close implements Source.
func (w *win) Close() error { return nil }
