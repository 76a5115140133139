package notify

import (
	"context"
	"testing"
	"time"
)

// These run on Windows and under wine (internal/e2e's
// TestWineNotifyUnitTests runs them there); the clicks are the window
// messages a click sends. Real clicks on the screen: internal/e2e's
// TestWinePresenceAndPopup.

func openWin32(t *testing.T) *win32Popups {
	t.Helper()
	n, err := Open(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	w := n.(*win32Popups)
	if c := w.Capabilities(); !c.Actions || c.BodyMarkup || c.Server != ServerWin32Popup {
		t.Fatalf("capabilities %+v", c)
	}
	return w
}

func showCall(t *testing.T, w *win32Popups, timeout time.Duration) (ID, uintptr) {
	t.Helper()
	id, err := w.Show(context.Background(), Notification{Title: "Call from <b>Ann</b> & co", Body: "+44 20 7946 0000",
		Actions: []Action{{DefaultAction, "Open"}, {"answer", "Answer"}, {"decline", "Decline"}}, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	var hwnd uintptr
	if err := w.do(context.Background(), func() { hwnd = w.open[id].hwnd }); err != nil {
		t.Fatal(err)
	}
	return id, hwnd
}

func nextEvent(t *testing.T, w *win32Popups) Event {
	t.Helper()
	select {
	case ev := <-w.Events():
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
		return Event{}
	}
}

func expect(t *testing.T, w *win32Popups, want ...Event) {
	t.Helper()
	for _, e := range want {
		if got := nextEvent(t, w); got != e {
			t.Fatalf("event %+v, want %+v", got, e)
		}
	}
}

// TestWin32PopupEvents: a button is its action and then dismissed, as
// dunst does it; the close box is dismissed; a click on the body is
// "default"; Close is closed; the timeout is expired.
func TestWin32PopupEvents(t *testing.T) {
	w := openWin32(t)

	id, hwnd := showCall(t, w, -1)
	procPostMessageW.Call(hwnd, wmCommand, firstButton, 0) // Answer: the first button after "default"
	expect(t, w, Event{ID: id, Action: "answer"}, Event{ID: id, Closed: ClosedDismissed})

	id, hwnd = showCall(t, w, -1)
	procPostMessageW.Call(hwnd, wmCommand, firstButton+1, 0)
	expect(t, w, Event{ID: id, Action: "decline"}, Event{ID: id, Closed: ClosedDismissed})

	id, hwnd = showCall(t, w, -1)
	procPostMessageW.Call(hwnd, wmLButtonUp, 0, 40<<16|40)
	expect(t, w, Event{ID: id, Action: DefaultAction}, Event{ID: id, Closed: ClosedDismissed})

	id, hwnd = showCall(t, w, -1)
	procPostMessageW.Call(hwnd, wmCommand, closeBoxID, 0)
	expect(t, w, Event{ID: id, Closed: ClosedDismissed})

	id, _ = showCall(t, w, -1)
	if err := w.Close(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	expect(t, w, Event{ID: id, Closed: ClosedByCall})
	if err := w.Close(context.Background(), id); err != nil {
		t.Errorf("closing a closed pop-up: %v", err)
	}

	start := time.Now()
	id, _ = showCall(t, w, 300*time.Millisecond)
	expect(t, w, Event{ID: id, Closed: ClosedExpired})
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("expired after %v, want 300 ms", d)
	}
}

// TestWin32PopupStacking: open pop-ups stack upwards from the bottom
// right without overlapping; closing one moves the others down.
func TestWin32PopupStacking(t *testing.T) {
	w := openWin32(t)
	_, a := showCall(t, w, -1)
	idB, b := showCall(t, w, -1)
	_, c := showCall(t, w, -1)
	ra, rb, rc := windowRect(t, w, a), windowRect(t, w, b), windowRect(t, w, c)
	if !(rb.bottom <= ra.top && rc.bottom <= rb.top && ra.right == rb.right) {
		t.Fatalf("not stacked: %+v %+v %+v", ra, rb, rc)
	}
	if err := w.Close(context.Background(), idB); err != nil {
		t.Fatal(err)
	}
	if got := windowRect(t, w, c); got != rb {
		t.Errorf("after closing the middle one the top one is at %+v, want %+v", got, rb)
	}
}

// TestWin32PopupStop: Stop takes the pop-ups away and closes Events;
// Show after it fails.
func TestWin32PopupStop(t *testing.T) {
	w := openWin32(t)
	showCall(t, w, -1)
	w.Stop()
	if _, ok := <-w.Events(); ok {
		t.Error("an event after Stop")
	}
	if _, err := w.Show(context.Background(), Notification{Title: "late"}); err == nil {
		t.Error("Show after Stop worked")
	}
}

func windowRect(t *testing.T, w *win32Popups, hwnd uintptr) rect {
	t.Helper()
	var r rect
	if err := w.do(context.Background(), func() {
		procGetWindowRect.Call(hwnd, uintptrOf(&r))
	}); err != nil {
		t.Fatal(err)
	}
	return r
}
