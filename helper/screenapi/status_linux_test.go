package screenapi_test

import (
	"errors"
	"sync"
	"time"

	"testing"

	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/screenapi"
	"github.com/openbpclient/bpclient/internal/agenttest"
	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/screen/capture"
	"github.com/openbpclient/bpclient/screen/record"
)

// statusOf asks screen.status as a page.
func statusOf(t *testing.T, r *rig) map[string]any {
	t.Helper()
	var st map[string]any
	if err := r.a.Open("page", agenttest.OriginA).Call("screen.status", nil, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// realCapture makes the rig grab the real X server on display, with the
// session's environment env.
func realCapture(display string, env map[string]string) func(*screenapi.Options) {
	return func(o *screenapi.Options) {
		o.Getenv = func(k string) string { return env[k] }
		o.Capture = func(screens string) (record.Grabber, error) {
			return capture.Open(capture.Options{Screens: screens, Display: display})
		}
	}
}

// TestStatusProbesTheRealCapture: with Xvfb there the status is
// available and start works; the same agent with $DISPLAY empty, or in
// a Wayland session without X, says why not by code, and start is
// refused with that reason. The capture is really opened (the old status
// said available without trying).
func TestStatusProbesTheRealCapture(t *testing.T) {
	d := desktoptest.StartScreen(t, 320, 240)
	if d == nil {
		return
	}
	t.Run("xvfb", func(t *testing.T) {
		r := newRigWith(t, false, nil, realCapture(d.Display, map[string]string{"DISPLAY": d.Display}))
		st := statusOf(t, r)
		if st["available"] != true || st["reasonCode"] != nil || st["reason"] != nil {
			t.Fatalf("status on Xvfb %s: %v", d.Display, st)
		}
		// The backend the probe's capture used: Xvfb here shares memory.
		if st["captureBackend"] != "x11-shm" || st["captureFallback"] != nil {
			t.Errorf("status on Xvfb: captureBackend %v, captureFallback %v; want x11-shm", st["captureBackend"], st["captureFallback"])
		}
	})
	for name, c := range map[string]struct {
		env        map[string]string
		code, text string
	}{
		"no display": {map[string]string{}, doctor.ScreenNoDisplay, "no X display ($DISPLAY is empty)"},
		"wayland":    {map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, doctor.ScreenWayland, "not available on Wayland yet"},
	} {
		t.Run(name, func(t *testing.T) {
			r := newRigWith(t, false, nil, realCapture("", c.env))
			st := statusOf(t, r)
			if st["available"] != false || st["reasonCode"] != c.code || st["reason"] != c.text {
				t.Fatalf("status %v, want code %s", st, c.code)
			}
			err := r.a.Open("page", agenttest.OriginA).Call("screen.record.start", r.startParams("call-1"), nil)
			if err == nil || err.Code != jsonrpc.CodeScreen || reasonOf(err) != jsonrpc.ReasonUnavailable {
				t.Fatalf("start: %v, want %s", err, jsonrpc.ReasonUnavailable)
			}
		})
	}
}

// TestStatusProbeIsCached: a page polling screen.status opens the
// capture once per 5 s, not once per request, and a display that goes
// away is noticed after that.
func TestStatusProbeIsCached(t *testing.T) {
	var mu sync.Mutex
	opens, failing := 0, false
	r := newRigWith(t, false, nil, func(o *screenapi.Options) {
		o.Capture = func(string) (record.Grabber, error) {
			mu.Lock()
			defer mu.Unlock()
			opens++
			if failing {
				return nil, errors.New("X server gone")
			}
			return &solidScreen{}, nil
		}
	})
	for range 5 {
		if st := statusOf(t, r); st["available"] != true {
			t.Fatalf("status %v", st)
		}
	}
	mu.Lock()
	n := opens
	failing = true
	mu.Unlock()
	if n != 1 {
		t.Errorf("five status requests opened the capture %d times, want 1", n)
	}
	r.clock.Advance(6 * time.Second)
	if st := statusOf(t, r); st["available"] != false || st["reasonCode"] != doctor.ScreenCaptureFailed || st["reason"] != "X server gone" {
		t.Errorf("after the display went: %v", st)
	}
}
