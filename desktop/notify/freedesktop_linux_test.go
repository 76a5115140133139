package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/internal/desktoptest"
)

func openOn(t *testing.T, d *desktoptest.Desktop) notify.Notifier {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := notify.Open(ctx, notify.Options{BusAddress: d.BusAddress})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n
}

func show(t *testing.T, n notify.Notifier, note notify.Notification) notify.ID {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id, err := n.Show(ctx, note)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func next(t *testing.T, n notify.Notifier) notify.Event {
	t.Helper()
	select {
	case ev := <-n.Events():
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no notification event within 10 s")
	}
	return notify.Event{}
}

var call = notify.Notification{AppName: "BPClient", Title: "Incoming call", Body: "From 1001",
	Actions: []notify.Action{{ID: notify.DefaultAction, Label: "Open"}, {ID: "answer", Label: "Answer"}, {ID: "decline", Label: "Decline"}},
	Timeout: -1, Urgency: notify.UrgencyCritical}

// TestDunstActionsAndCloses drives the real dunst as a user would: a
// button from the menu, a click on the body, a dismissal, a close by us
// and an expiry each arrive as the right event for the right ID.
func TestDunstActionsAndCloses(t *testing.T) {
	d := desktoptest.Start(t)
	n := openOn(t, d)
	if c := n.Capabilities(); !c.Actions || !c.BodyMarkup || !strings.HasPrefix(c.Server, "dunst") {
		t.Fatalf("capabilities %+v, want dunst with actions and body-markup", c)
	}

	id := show(t, n, call)
	d.WaitDisplayed(1, 5*time.Second)
	d.Choose(uint32(id), "decline")
	if ev := next(t, n); ev.ID != id || ev.Action != "decline" {
		t.Fatalf("after choosing decline: %+v", ev)
	}
	d.Dismiss()
	if ev := next(t, n); ev.ID != id || ev.Closed != notify.ClosedDismissed {
		t.Fatalf("after dismissal: %+v", ev)
	}

	id = show(t, n, call)
	d.WaitDisplayed(1, 5*time.Second)
	d.ClickBody()
	if ev := next(t, n); ev.ID != id || ev.Action != notify.DefaultAction {
		t.Fatalf("after a click on the body: %+v", ev)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.Close(ctx, id); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, n); ev.ID != id || ev.Closed != notify.ClosedByCall {
		t.Fatalf("after Close: %+v", ev)
	}

	brief := call
	brief.Timeout = 300 * time.Millisecond
	id = show(t, n, brief)
	if ev := next(t, n); ev.ID != id || ev.Closed != notify.ClosedExpired {
		t.Fatalf("after the timeout: %+v", ev)
	}
}

// TestDunstGetsMarkupEscaped: dunst renders markup, so a title and body
// with tags reach it escaped and show as the text they are.
func TestDunstGetsMarkupEscaped(t *testing.T) {
	d := desktoptest.Start(t)
	n := openOn(t, d)
	note := call
	note.Title, note.Body = `<b>Boss</b> & "co"`, `<a href="https://evil.test">click</a>`
	show(t, n, note)
	d.WaitDisplayed(1, 5*time.Second)
	d.Dismiss()
	h := d.History()
	if len(h) != 1 {
		t.Fatalf("history %+v", h)
	}
	if want := `&lt;b&gt;Boss&lt;/b&gt; &amp; &quot;co&quot;`; h[0].Summary != want {
		t.Errorf("dunst got summary %q, want %q", h[0].Summary, want)
	}
	if strings.Contains(h[0].Body, "<a") {
		t.Errorf("dunst got a live tag in the body: %q", h[0].Body)
	}
}
