package doctor

import (
	"context"
	"errors"
	"os"
	"runtime"

	"github.com/openbpclient/bpclient/screen/capture"
)

// Why the screen cannot be recorded: screen.status's reasonCode and the
// screen.capture check's cause. "" is available. Appended to, never
// renamed (pages key on them).
const (
	ScreenWayland       = "wayland"        // a Wayland session: the portal and PipeWire are not done yet
	ScreenNoDisplay     = "no-display"     // no X display to grab ($DISPLAY empty)
	ScreenMacOS         = "macos"          // macOS: not in this build
	ScreenNoEncoder     = "no-encoder"     // built without libvpx (the vpx tag)
	ScreenNoCapture     = "no-capture"     // this build has no capture for this OS
	ScreenCaptureFailed = "capture-failed" // the display is there but would not be grabbed
	ScreenNoWorker      = "no-worker"      // bpclient-screen, which records and streams, is not installed beside bpclient
)

// screenReason is what each code tells people (screen.status's reason).
func screenReason(k string) string {
	switch k {
	case ScreenWayland:
		return "not available on Wayland yet"
	case ScreenNoDisplay:
		return "no X display ($DISPLAY is empty)"
	case ScreenMacOS:
		return "macOS: not in this build"
	case ScreenNoEncoder:
		return "no VP8 encoder in this build"
	case ScreenNoCapture:
		return "no screen capture in this build for this OS"
	case ScreenNoWorker:
		return "bpclient-screen is not installed beside bpclient"
	}
	return ""
}

// screenFix says what the agent can do about each.
func screenFix(k string) string {
	switch k {
	case ScreenWayland:
		return "Screen recording needs an X11 session for now: choose the X11 (Xorg) session at the login screen, or ask IT."
	case ScreenNoDisplay:
		return "Start BPClient from your desktop session (sign out and in again); if it still says so, ask IT."
	case ScreenMacOS:
		return "Screen recording is not in BPClient for macOS yet; ask IT whether your contact center needs it."
	case ScreenNoEncoder:
		return "This BPClient build cannot record the screen: ask IT for the standard release."
	case ScreenNoCapture:
		return "Screen recording is not in BPClient for this system; ask IT whether your contact center needs it."
	case ScreenCaptureFailed:
		return "Sign out and in again; if it still fails, send the support bundle (bpclient logs collect) to IT."
	case ScreenNoWorker:
		return "Reinstall BPClient from the standard release: its bpclient-screen program is missing."
	}
	return ""
}

// ScreenAvailability is the outcome of a ScreenProbe: Code "" is
// available, otherwise one of the Screen* codes and the reason in words.
type ScreenAvailability struct {
	Code   string
	Reason string
	// Backend is how the capture opened by the probe grabs (DXGI or GDI,
	// X11 with or without shared memory) and why not the better way;
	// zero when it was not opened.
	Backend capture.Backend
}

// Available reports whether the screen can be recorded.
func (a ScreenAvailability) Available() bool { return a.Code == "" }

// ScreenProbe is what deciding needs: the OS and its environment, a way
// to open (and close at once) the capture, and whether there is an
// encoder. The desktop's kind is read from the environment first, so a
// Wayland session says so even when Xwayland would let a grab succeed
// (its root window shows only the X clients).
type ScreenProbe struct {
	GOOS   string
	Getenv func(string) string
	// Open opens the capture and closes it again; nil: this build has no
	// capture.
	Open func() error
	// Encoder is why there is no encoder; nil: there is one.
	Encoder error
	// Worker is why there is no screen worker (bpclient-screen), which
	// holds the encoder; nil: there is one.
	Worker error
}

// Run decides. It opens the capture (an X connection and a shared-memory
// segment on Linux, some milliseconds): callers cache the answer.
func (p ScreenProbe) Run() ScreenAvailability {
	if code := p.sessionCode(); code != "" {
		return screenUnavailable(code, "")
	}
	if p.Worker != nil {
		return screenUnavailable(ScreenNoWorker, p.Worker.Error())
	}
	if p.Encoder != nil {
		return screenUnavailable(ScreenNoEncoder, "")
	}
	if p.Open == nil {
		return screenUnavailable(ScreenNoCapture, "")
	}
	if err := p.Open(); err != nil {
		return screenUnavailable(ScreenCaptureFailed, err.Error())
	}
	return ScreenAvailability{}
}

// sessionCode is what the OS and the session rule out before any grab.
func (p ScreenProbe) sessionCode() string {
	switch p.GOOS {
	case "darwin":
		return ScreenMacOS
	case "linux", "freebsd", "openbsd", "netbsd":
		if p.Getenv("WAYLAND_DISPLAY") != "" || p.Getenv("XDG_SESSION_TYPE") == "wayland" {
			return ScreenWayland
		}
		if p.Getenv("DISPLAY") == "" {
			return ScreenNoDisplay
		}
	}
	return ""
}

func screenUnavailable(code, reason string) ScreenAvailability {
	if reason == "" {
		reason = screenReason(code)
	}
	return ScreenAvailability{Code: code, Reason: reason}
}

// ProbeScreenCapture probes this build's own capture on the display
// getenv names (nil: the process's environment); encoder is why nothing
// encodes: a *ScreenWorkerError when the screen worker is not installed
// (ScreenNoWorker), any other error when it has no VP8 (ScreenNoEncoder);
// nil: the screen can be encoded.
func ProbeScreenCapture(getenv func(string) string, encoder error) ScreenAvailability {
	if getenv == nil {
		getenv = os.Getenv
	}
	var backend capture.Backend
	p := ScreenProbe{GOOS: runtime.GOOS, Getenv: getenv, Open: func() error {
		c, err := capture.Open(capture.Options{Display: getenv("DISPLAY")})
		if err != nil {
			return err
		}
		backend = c.Backend()
		return c.Close()
	}}
	var missing *ScreenWorkerError
	if errors.As(encoder, &missing) {
		p.Worker = encoder
	} else {
		p.Encoder = encoder
	}
	a := p.Run()
	a.Backend = backend
	return a
}

// BackendWords says how the screen is grabbed, for people: "" when b is
// zero.
func BackendWords(b capture.Backend) string {
	words := map[string]string{
		"dxgi":    "DXGI desktop duplication",
		"gdi":     "GDI",
		"x11-shm": "the X server over shared memory",
		"x11":     "the X server (GetImage)",
	}[b.Name]
	if words == "" {
		words = b.Name
	}
	if b.Fallback != "" {
		words += ", because " + b.Fallback
	}
	return words
}

// ScreenWorkerError says that the screen worker is not installed: the
// encoder error of ProbeScreenCapture that gives ScreenNoWorker.
type ScreenWorkerError struct{ Err error }

func (e *ScreenWorkerError) Error() string { return e.Err.Error() }
func (e *ScreenWorkerError) Unwrap() error { return e.Err }

// ScreenCaptureCheck is the screen.capture check: ok when this build can
// record this desktop, a warning saying why not otherwise (a helper
// without screen recording still does its other work). encoder says
// why nothing encodes (see ProbeScreenCapture); nil: something does.
func ScreenCaptureCheck(getenv func(string) string, encoder func() error) Check {
	return func(ctx context.Context, _ View) []Result {
		r := Result{ID: "screen.capture", Title: "Screen recording", Status: OK, Found: "the screen can be recorded"}
		var why error
		if encoder != nil {
			why = encoder()
		}
		a := ProbeScreenCapture(getenv, why)
		if !a.Available() {
			r.Status, r.Found, r.Fix = Warning, "the screen cannot be recorded: "+a.Reason, screenFix(a.Code)
		} else if w := BackendWords(a.Backend); w != "" {
			r.Found += ", grabbed with " + w
		}
		return []Result{r}
	}
}
