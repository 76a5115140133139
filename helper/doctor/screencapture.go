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

// screenReasons are what each code tells people (screen.status's reason).
var screenReasons = map[string]string{
	ScreenWayland:   "not available on Wayland yet",
	ScreenNoDisplay: "no X display ($DISPLAY is empty)",
	ScreenMacOS:     "macOS: not in this build",
	ScreenNoEncoder: "no VP8 encoder in this build",
	ScreenNoCapture: "no screen capture in this build for this OS",
	ScreenNoWorker:  "bpclient-screen is not installed beside bpclient",
}

// screenFixes say what the agent can do about each.
var screenFixes = map[string]string{
	ScreenWayland:       "Screen recording needs an X11 session for now: choose the X11 (Xorg) session at the login screen, or ask IT.",
	ScreenNoDisplay:     "Start BPClient from your desktop session (sign out and in again); if it still says so, ask IT.",
	ScreenMacOS:         "Screen recording is not in BPClient for macOS yet; ask IT whether your contact center needs it.",
	ScreenNoEncoder:     "This BPClient build cannot record the screen: ask IT for the standard release.",
	ScreenNoCapture:     "Screen recording is not in BPClient for this system; ask IT whether your contact center needs it.",
	ScreenCaptureFailed: "Sign out and in again; if it still fails, send the support bundle (bpclient logs collect) to IT.",
	ScreenNoWorker:      "Reinstall BPClient from the standard release: its bpclient-screen program is missing.",
}

// ScreenAvailability is the outcome of a ScreenProbe: Code "" is
// available, otherwise one of the Screen* codes and the reason in words.
type ScreenAvailability struct {
	Code   string
	Reason string
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
		reason = screenReasons[code]
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
	p := ScreenProbe{GOOS: runtime.GOOS, Getenv: getenv, Open: func() error {
		c, err := capture.Open(capture.Options{Display: getenv("DISPLAY")})
		if err != nil {
			return err
		}
		return c.Close()
	}}
	var missing *ScreenWorkerError
	if errors.As(encoder, &missing) {
		p.Worker = encoder
	} else {
		p.Encoder = encoder
	}
	return p.Run()
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
		if a := ProbeScreenCapture(getenv, why); !a.Available() {
			r.Status, r.Found, r.Fix = Warning, "the screen cannot be recorded: "+a.Reason, screenFixes[a.Code]
		}
		return []Result{r}
	}
}
