package doctor

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/screen/capture"
	"github.com/openbpclient/bpclient/screen/vp8"
)

// envOf is an environment of exactly vars (not the test process's).
func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// screenCheck runs the screen.capture check alone.
func screenCheck(t *testing.T, getenv func(string) string) Result {
	t.Helper()
	rep := New(nil, ScreenCaptureCheck(getenv, vp8Missing)).Run(context.Background(), View{Local: true})
	r, ok := rep.Find("screen.capture")
	if !ok {
		t.Fatalf("no screen.capture check in %+v", rep.Checks)
	}
	return r
}

// TestScreenCaptureOnXvfb: a real X server grabbed for real is ok (with
// the encoder of a vpx build; without one the check says so).
func TestScreenCaptureOnXvfb(t *testing.T) {
	d := desktoptest.StartScreen(t, 640, 480)
	if d == nil {
		return
	}
	env := envOf(map[string]string{"DISPLAY": d.Display})
	a := ProbeScreenCapture(env, vp8Missing())
	r := screenCheck(t, env)
	if !vp8.Available() {
		if a.Code != ScreenNoEncoder || r.Status != Warning || r.Fix == "" {
			t.Fatalf("a build without vpx: probe %+v, check %+v", a, r)
		}
		t.Log("built without the vpx tag: checked the no-encoder answer only")
		return
	}
	if !a.Available() || r.Status != OK || r.Fix != "" {
		t.Fatalf("Xvfb %s: probe %+v, check %+v", d.Display, a, r)
	}
	// The backend is named: Xvfb on this machine shares memory.
	if a.Backend.Name != "x11-shm" || r.Found != "the screen can be recorded, grabbed with the X server over shared memory" {
		t.Errorf("backend %+v, found %q", a.Backend, r.Found)
	}
}

// The words for each backend, a fallback with its reason.
func TestBackendWords(t *testing.T) {
	cases := map[capture.Backend]string{
		{}:             "",
		{Name: "dxgi"}: "DXGI desktop duplication",
		{Name: "gdi", Fallback: "DXGI: IDXGIOutput1::DuplicateOutput: E_NOTIMPL (0x80004001)"}: "GDI, because DXGI: IDXGIOutput1::DuplicateOutput: E_NOTIMPL (0x80004001)",
		{Name: "x11", Fallback: "the X server is not on this machine"}:                         "the X server (GetImage), because the X server is not on this machine",
	}
	for b, want := range cases {
		if got := BackendWords(b); got != want {
			t.Errorf("BackendWords(%+v) = %q, want %q", b, got, want)
		}
	}
}

// TestScreenCaptureWithoutDisplay: no $DISPLAY, no Wayland: the reason,
// a warning and a fix.
func TestScreenCaptureWithoutDisplay(t *testing.T) {
	env := envOf(nil)
	a := ProbeScreenCapture(env, vp8Missing())
	r := screenCheck(t, env)
	if a.Code != ScreenNoDisplay || a.Reason != "no X display ($DISPLAY is empty)" {
		t.Fatalf("probe %+v", a)
	}
	if r.Status != Warning || !strings.Contains(r.Found, "no X display") || r.Fix != screenFix(ScreenNoDisplay) {
		t.Fatalf("check %+v", r)
	}
}

// TestScreenCaptureOnWayland: a Wayland session without X says Wayland;
// so does one with an X display (Xwayland shows only the X clients), and
// one known only from XDG_SESSION_TYPE.
func TestScreenCaptureOnWayland(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"no X":         {"WAYLAND_DISPLAY": "wayland-0"},
		"Xwayland":     {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"},
		"session type": {"XDG_SESSION_TYPE": "wayland"},
	} {
		a := ProbeScreenCapture(envOf(vars), vp8Missing())
		r := screenCheck(t, envOf(vars))
		if a.Code != ScreenWayland || a.Reason != "not available on Wayland yet" {
			t.Errorf("%s: probe %+v", name, a)
		}
		if r.Status != Warning || r.Fix != screenFix(ScreenWayland) || !strings.Contains(r.Found, "Wayland") {
			t.Errorf("%s: check %+v", name, r)
		}
	}
}

// TestScreenProbeOrder: the other codes, from a probe with parts taken
// away (the OS and the build are what they are here).
func TestScreenProbeOrder(t *testing.T) {
	x := envOf(map[string]string{"DISPLAY": ":9"})
	opened := 0
	open := func() error { opened++; return nil }
	for _, c := range []struct {
		p    ScreenProbe
		want string
	}{
		{ScreenProbe{GOOS: "darwin", Getenv: x, Open: open}, ScreenMacOS},
		{ScreenProbe{GOOS: "linux", Getenv: x, Open: open, Encoder: vp8.ErrUnavailable}, ScreenNoEncoder},
		{ScreenProbe{GOOS: "linux", Getenv: x, Open: open, Worker: context.Canceled, Encoder: vp8.ErrUnavailable}, ScreenNoWorker},
		{ScreenProbe{GOOS: "linux", Getenv: x}, ScreenNoCapture},
		{ScreenProbe{GOOS: "linux", Getenv: x, Open: func() error { return context.DeadlineExceeded }}, ScreenCaptureFailed},
		{ScreenProbe{GOOS: "windows", Getenv: envOf(nil), Open: open}, ""},
	} {
		if got := c.p.Run(); got.Code != c.want || (c.want != "" && got.Reason == "") {
			t.Errorf("%+v: %+v, want code %q", c.p, got, c.want)
		}
	}
	if opened != 1 {
		t.Errorf("the capture was opened %d times; only the Windows probe had reason to", opened)
	}
}

// vp8Missing is this test build's encoder as the agent's worker has it
// (the doctor itself links no encoder).
func vp8Missing() error {
	if !vp8.Available() {
		return vp8.ErrUnavailable
	}
	return nil
}

// TestScreenCheckWithoutTheWorker: where bpclient-screen is missing the
// check warns with the no-worker reason and its fix, before any grab.
func TestScreenCheckWithoutTheWorker(t *testing.T) {
	env := envOf(map[string]string{"DISPLAY": ":9"})
	missing := &ScreenWorkerError{Err: errors.New("bpclient-screen is not installed beside bpclient")}
	rep := New(nil, ScreenCaptureCheck(env, func() error { return missing })).Run(context.Background(), View{Local: true})
	if len(rep.Checks) != 1 {
		t.Fatalf("checks %+v", rep.Checks)
	}
	r := rep.Checks[0]
	if r.Status != Warning || !strings.Contains(r.Found, "bpclient-screen is not installed") || r.Fix != screenFix(ScreenNoWorker) {
		t.Errorf("screen.capture without the worker: %+v", r)
	}
	if a := ProbeScreenCapture(env, missing); a.Code != ScreenNoWorker {
		t.Errorf("probe without the worker: %+v", a)
	}
}
