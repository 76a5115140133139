package notify

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// The plain Win32 calls of the pop-up window, pure Go (no cgo): user32
// for windows, buttons, timers and the message loop, gdi32 for the text.
// golang.org/x/sys/windows has none of the GUI calls, so they are
// declared here from their documented signatures.
var (
	user32   = windows.NewLazySystemDLL("user32.dll")
	gdi32    = windows.NewLazySystemDLL("gdi32.dll")
	kernel32 = windows.NewLazySystemDLL("kernel32.dll")

	procRegisterClassExW     = user32.NewProc("RegisterClassExW")
	procUnregisterClassW     = user32.NewProc("UnregisterClassW")
	procCreateWindowExW      = user32.NewProc("CreateWindowExW")
	procDestroyWindow        = user32.NewProc("DestroyWindow")
	procDefWindowProcW       = user32.NewProc("DefWindowProcW")
	procGetMessageW          = user32.NewProc("GetMessageW")
	procTranslateMessage     = user32.NewProc("TranslateMessage")
	procDispatchMessageW     = user32.NewProc("DispatchMessageW")
	procPostMessageW         = user32.NewProc("PostMessageW")
	procPostQuitMessage      = user32.NewProc("PostQuitMessage")
	procSendMessageW         = user32.NewProc("SendMessageW")
	procShowWindow           = user32.NewProc("ShowWindow")
	procSetWindowPos         = user32.NewProc("SetWindowPos")
	procSetTimer             = user32.NewProc("SetTimer")
	procKillTimer            = user32.NewProc("KillTimer")
	procBeginPaint           = user32.NewProc("BeginPaint")
	procEndPaint             = user32.NewProc("EndPaint")
	procFillRect             = user32.NewProc("FillRect")
	procDrawTextW            = user32.NewProc("DrawTextW")
	procLoadCursorW          = user32.NewProc("LoadCursorW")
	procSystemParametersInfo = user32.NewProc("SystemParametersInfoW")
	procGetSysColorBrush     = user32.NewProc("GetSysColorBrush")
	procCreateFontW          = gdi32.NewProc("CreateFontW")
	procCreateSolidBrush     = gdi32.NewProc("CreateSolidBrush")
	procDeleteObject         = gdi32.NewProc("DeleteObject")
	procSelectObject         = gdi32.NewProc("SelectObject")
	procSetBkMode            = gdi32.NewProc("SetBkMode")
	procSetTextColor         = gdi32.NewProc("SetTextColor")
	procGetModuleHandleW     = kernel32.NewProc("GetModuleHandleW")
)

// Window styles, messages and flags (winuser.h).
const (
	wsPopup         = 0x80000000
	wsChild         = 0x40000000
	wsVisible       = 0x10000000
	wsBorder        = 0x00800000
	wsExTopmost     = 0x00000008
	wsExToolWindow  = 0x00000080
	wsExNoActivate  = 0x08000000
	bsPushButton    = 0x00000000
	swShowNoActive  = 4
	hwndMessage     = ^uintptr(2) // HWND_MESSAGE, (HWND)-3
	hwndTopmost     = ^uintptr(0) // HWND_TOPMOST, (HWND)-1
	swpNoSize       = 0x0001
	swpNoActivate   = 0x0010
	wmDestroy       = 0x0002
	wmPaint         = 0x000F
	wmSetFont       = 0x0030
	wmCommand       = 0x0111
	wmTimer         = 0x0113
	wmLButtonUp     = 0x0202
	wmMouseActivate = 0x0021
	wmApp           = 0x8000
	maNoActivate    = 3
	bnClicked       = 0
	idcArrow        = 32512
	colorWindow     = 5
	spiGetWorkArea  = 0x0030
	transparent     = 1
	dtWordBreak     = 0x0010
	dtSingleLine    = 0x0020
	dtNoPrefix      = 0x0800
	dtEditControl   = 0x2000
	dtEndEllipsis   = 0x8000
	fwNormal        = 400
	fwBold          = 700
	defaultCharset  = 1
	clearTypeQual   = 5
)

type wndClassEx struct {
	size       uint32
	style      uint32
	wndProc    uintptr
	clsExtra   int32
	wndExtra   int32
	instance   uintptr
	icon       uintptr
	cursor     uintptr
	background uintptr
	menuName   *uint16
	className  *uint16
	iconSm     uintptr
}

type point struct{ x, y int32 }

type msg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	pt      point
	private uint32
}

type rect struct{ left, top, right, bottom int32 }

type paintStruct struct {
	hdc       uintptr
	erase     int32
	paint     rect
	restore   int32
	incUpdate int32
	reserved  [32]byte
}

// rgb is a COLORREF.
func rgb(r, g, b byte) uintptr { return uintptr(r) | uintptr(g)<<8 | uintptr(b)<<16 }

// procGetWindowRect: where a pop-up is (its tests).
var procGetWindowRect = user32.NewProc("GetWindowRect")

func uintptrOf(r *rect) uintptr { return uintptr(unsafe.Pointer(r)) }
