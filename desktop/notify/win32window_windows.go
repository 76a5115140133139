package notify

import (
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
)

// create puts n on the screen as a new pop-up window (window thread).
func (w *win32Popups) create(n Notification) (ID, error) {
	title := PlainText(n.Title, capTitle)
	body := PlainText(n.Body, capBody)
	w.nextID++
	p := &popupWindow{id: w.nextID, title: utf16(title), body: utf16(body), buttons: map[uintptr]string{}}
	// The window's text is the title: what a screen reader says and what
	// the tests search for (xdotool search --name).
	hwnd, _, err := procCreateWindowExW.Call(wsExTopmost|wsExNoActivate|wsExToolWindow,
		uintptr(unsafe.Pointer(w.className)), uintptr(unsafe.Pointer(&p.title[0])), wsPopup|wsBorder,
		0, 0, popupWidth, popupHeight, 0, 0, w.instance, 0)
	if hwnd == 0 {
		return 0, fmt.Errorf("CreateWindowExW: %w", err)
	}
	p.hwnd = hwnd
	w.open[p.id], w.byHwnd[hwnd] = p, p
	w.order = append(w.order, p)

	if err := w.addButton(p, closeBoxID, "×", popupWidth-closeBoxSize-6, 6, closeBoxSize, closeBoxSize); err != nil {
		w.destroy(p)
		return 0, err
	}
	x := popupWidth - popupMargin
	var buttons []Action
	for _, a := range n.Actions {
		if a.ID == DefaultAction {
			p.deflt = true
			continue
		}
		buttons = append(buttons, a)
	}
	for i := len(buttons) - 1; i >= 0; i-- { // laid out from the right
		x -= buttonWidth
		control := uintptr(firstButton + i)
		p.buttons[control] = buttons[i].ID
		// A button's label reads & as the mnemonic's mark: doubled, it
		// shows as itself.
		label := strings.ReplaceAll(PlainText(buttons[i].Label, capLabel), "&", "&&")
		if err := w.addButton(p, control, label, x, popupHeight-popupMargin-buttonHeight, buttonWidth, buttonHeight); err != nil {
			w.destroy(p)
			return 0, err
		}
		x -= popupGap
	}

	timeout := n.Timeout
	if timeout == 0 && n.Urgency != UrgencyCritical {
		timeout = defaultTimeout
	}
	if timeout > 0 {
		if r, _, err := procSetTimer.Call(hwnd, expiryTimer, uintptr(timeout.Milliseconds()), 0); r == 0 {
			w.destroy(p)
			return 0, fmt.Errorf("SetTimer: %w", err)
		}
		p.timer = true
	}
	w.restack()
	procShowWindow.Call(hwnd, swShowNoActive)
	return p.id, nil
}

func (w *win32Popups) addButton(p *popupWindow, control uintptr, label string, x, y, width, height int) error {
	class := utf16("BUTTON")
	text := utf16(label)
	h, _, err := procCreateWindowExW.Call(0, uintptr(unsafe.Pointer(&class[0])), uintptr(unsafe.Pointer(&text[0])),
		wsChild|wsVisible|bsPushButton, uintptr(x), uintptr(y), uintptr(width), uintptr(height), p.hwnd, control, w.instance, 0)
	if h == 0 {
		return fmt.Errorf("CreateWindowExW (button %q): %w", label, err)
	}
	procSendMessageW.Call(h, wmSetFont, w.bodyFont, 0)
	return nil
}

// restack places the pop-ups at the bottom right of the primary work
// area (above the taskbar), the oldest lowest.
func (w *win32Popups) restack() {
	var work rect
	if ok, _, _ := procSystemParametersInfo.Call(spiGetWorkArea, 0, uintptr(unsafe.Pointer(&work)), 0); ok == 0 {
		work = rect{right: 1024, bottom: 768}
	}
	y := int(work.bottom) - popupMargin
	for _, p := range w.order {
		y -= popupHeight
		procSetWindowPos.Call(p.hwnd, hwndTopmost, uintptr(int(work.right)-popupMargin-popupWidth), uintptr(y), 0, 0, swpNoSize|swpNoActivate)
		y -= popupGap
	}
}

// paint draws the accent strip, the title and the body; the buttons
// draw themselves.
func (w *win32Popups) paint(p *popupWindow) {
	var ps paintStruct
	hdc, _, _ := procBeginPaint.Call(p.hwnd, uintptr(unsafe.Pointer(&ps)))
	if hdc == 0 {
		return
	}
	defer procEndPaint.Call(p.hwnd, uintptr(unsafe.Pointer(&ps)))
	strip := rect{0, 0, accentWidth, popupHeight}
	procFillRect.Call(hdc, uintptr(unsafe.Pointer(&strip)), w.accentBrush)
	procSetBkMode.Call(hdc, transparent)
	procSetTextColor.Call(hdc, rgb(0x20, 0x20, 0x20))
	left := int32(accentWidth + popupMargin)
	titleBox := rect{left, popupMargin, popupWidth - closeBoxSize - 12, popupMargin + 22}
	old, _, _ := procSelectObject.Call(hdc, w.titleFont)
	drawText(hdc, p.title, &titleBox, dtSingleLine|dtEndEllipsis|dtNoPrefix)
	procSelectObject.Call(hdc, w.bodyFont)
	bodyBox := rect{left, titleBox.bottom + 4, popupWidth - popupMargin, popupHeight - popupMargin - buttonHeight - 4}
	drawText(hdc, p.body, &bodyBox, dtWordBreak|dtEditControl|dtEndEllipsis|dtNoPrefix)
	procSelectObject.Call(hdc, old)
}

// drawText draws s (NUL-terminated UTF-16); DT_NOPREFIX keeps & as text.
func drawText(hdc uintptr, s []uint16, box *rect, format uintptr) {
	procDrawTextW.Call(hdc, uintptr(unsafe.Pointer(&s[0])), uintptr(len(s)-1), uintptr(unsafe.Pointer(box)), format)
}

// utf16 is s NUL-terminated for Win32; PlainText has already made a NUL
// inside it a space.
func utf16(s string) []uint16 {
	u, err := windows.UTF16FromString(s)
	if err != nil {
		u, _ = windows.UTF16FromString(strings.ReplaceAll(s, "\x00", " "))
	}
	return u
}
