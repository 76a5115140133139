package notify

// The pop-ups' window procedure: what the user does with a pop-up
// becomes its Events, on the window thread.

import "slices"

// handle is the window procedure of the message-only window and of every
// pop-up, on the window thread.
func (w *win32Popups) handle(hwnd, message, wParam, lParam uintptr) uintptr {
	if hwnd == w.msgWnd && message == wmApp {
		w.serve(wParam == 1)
		return 0
	}
	p := w.byHwnd[hwnd]
	if p == nil {
		r, _, _ := procDefWindowProcW.Call(hwnd, message, wParam, lParam)
		return r
	}
	switch message {
	case wmMouseActivate:
		return maNoActivate
	case wmPaint:
		w.paint(p)
		return 0
	case wmCommand:
		if wParam>>16&0xFFFF == bnClicked {
			w.clicked(p, wParam&0xFFFF)
		}
		return 0
	case wmLButtonUp:
		w.clickedBody(p)
		return 0
	case wmTimer:
		if wParam == expiryTimer {
			w.finish(p.id, ClosedExpired)
		}
		return 0
	}
	r, _, _ := procDefWindowProcW.Call(hwnd, message, wParam, lParam)
	return r
}

// serve runs the queued requests; quit ends the loop after them.
func (w *win32Popups) serve(quit bool) {
	for {
		select {
		case f := <-w.requests:
			f()
			continue
		default:
		}
		break
	}
	if quit {
		procPostQuitMessage.Call(0)
	}
}

// clicked is a button: the action, then the pop-up goes as the
// freedesktop servers do it (dunst: closed, dismissed by the user).
func (w *win32Popups) clicked(p *popupWindow, control uintptr) {
	if control == closeBoxID {
		w.finish(p.id, ClosedDismissed)
		return
	}
	action, ok := p.buttons[control]
	if !ok {
		return
	}
	w.emit(Event{ID: p.id, Action: action})
	w.finish(p.id, ClosedDismissed)
}

// clickedBody is DefaultAction when the pop-up has one; without, a click
// dismisses it.
func (w *win32Popups) clickedBody(p *popupWindow) {
	if p.deflt {
		w.emit(Event{ID: p.id, Action: DefaultAction})
	}
	w.finish(p.id, ClosedDismissed)
}

// finish takes pop-up id off the screen and reports why; an ID no longer
// open is nothing to do (as CloseNotification of a closed one).
func (w *win32Popups) finish(id ID, reason CloseReason) {
	p := w.open[id]
	if p == nil {
		return
	}
	w.destroy(p)
	w.restack()
	w.emit(Event{ID: id, Closed: reason})
}

func (w *win32Popups) destroy(p *popupWindow) {
	if p.timer {
		procKillTimer.Call(p.hwnd, expiryTimer)
	}
	delete(w.open, p.id)
	delete(w.byHwnd, p.hwnd)
	w.order = slices.DeleteFunc(w.order, func(q *popupWindow) bool { return q == p })
	procDestroyWindow.Call(p.hwnd)
}
