//go:build linux

package screenapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/internal/agenttest"
	"github.com/openbpclient/bpclient/internal/desktoptest"
)

// TestIndicatorOnTheRealDesktop: with screenRecordingIndicator in the
// admin policy, the real notification server (dunst) shows "Screen
// recording is on" while the recording runs, and not while it is paused
// or after it stopped.
func TestIndicatorOnTheRealDesktop(t *testing.T) {
	d := desktoptest.Start(t)
	if d == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := notify.Open(ctx, notify.Options{BusAddress: d.BusAddress})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Stop() })
	r := newRigShowing(t, true, n)
	page := r.a.Open("page", agenttest.OriginA)
	if err := page.Call("screen.record.start", r.startParams("shown"), nil); err != nil {
		t.Fatal(err)
	}
	d.WaitDisplayed(1, 5*time.Second)
	if err := page.Call("screen.record.pause", nil, nil); err != nil {
		t.Fatal(err)
	}
	d.WaitDisplayed(0, 5*time.Second)
	if err := page.Call("screen.record.resume", nil, nil); err != nil {
		t.Fatal(err)
	}
	d.WaitDisplayed(1, 5*time.Second)
	if err := page.Call("screen.record.stop", nil, nil); err != nil {
		t.Fatal(err)
	}
	d.WaitDisplayed(0, 5*time.Second)
	h := d.History()
	if len(h) != 2 || h[0].Summary != "Screen recording is on" || h[0].AppName != "BPClient" {
		t.Errorf("dunst's history %+v, want the indicator twice", h)
	}
}
