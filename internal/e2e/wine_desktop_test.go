//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/internal/testpeers"
	"github.com/openbpclient/bpclient/nativemsg"
)

// The Windows pop-up and presence (issue 14) under wine on a private
// Xvfb: the pure-Go Windows build of the agent (its pop-up and idle code
// are pure Go; the release's cgo audio is not needed for them), reached
// as the extension does through bpclient-host.exe, shows its own pop-up
// window, which the test finds, photographs and clicks with xdotool; the
// idle time is wine's GetLastInputInfo, which xdotool's pointer moves over
// that window reset.

// pureWindowsExes builds bpclient.exe and bpclient-host.exe without cgo,
// and the Windows unit tests of desktop/idle and desktop/notify. It runs
// while wine boots its prefix, so it reports errors instead of failing.
func pureWindowsExes(dir string) (exes windowsExes, unitTests []string, err error) {
	root, err := browsertest.ModuleRoot()
	if err != nil {
		return exes, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	exes = windowsExes{Dir: dir, Agent: filepath.Join(dir, "bpclient.exe"), Host: filepath.Join(dir, "bpclient-host.exe")}
	unitTests = []string{filepath.Join(dir, "idle.test.exe"), filepath.Join(dir, "notify.test.exe")}
	for _, args := range [][]string{
		{"build", "-trimpath", "-o", exes.Agent, "./cmd/bpclient"},
		{"build", "-trimpath", "-o", exes.Host, "./cmd/bpclient-host"},
		{"test", "-c", "-o", unitTests[0], "./desktop/idle"},
		{"test", "-c", "-o", unitTests[1], "./desktop/notify"},
	} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOFLAGS=", "CGO_ENABLED=0", "GOOS=windows", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			return exes, nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return exes, unitTests, nil
}

// xWindow is a window's place on the X screen.
type xWindow struct {
	ID                  string
	X, Y, Width, Height int
}

// findXWindow waits for a visible window whose name matches pattern.
func findXWindow(t *testing.T, d *desktoptest.Desktop, pattern string, within time.Duration) xWindow {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		out, err := xdotool(d, "search", "--onlyvisible", "--name", pattern)
		if ids := strings.Fields(out); err == nil && len(ids) > 0 {
			geo, err := xdotool(d, "getwindowgeometry", "--shell", ids[len(ids)-1])
			if err != nil {
				t.Fatalf("xdotool getwindowgeometry: %v", err)
			}
			w := xWindow{ID: ids[len(ids)-1]}
			for _, line := range strings.Fields(geo) {
				k, v, _ := strings.Cut(line, "=")
				n, _ := strconv.Atoi(v)
				switch k {
				case "X":
					w.X = n
				case "Y":
					w.Y = n
				case "WIDTH":
					w.Width = n
				case "HEIGHT":
					w.Height = n
				}
			}
			return w
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s", wineHangGuard(within, "no visible window named %q", pattern))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func xdotool(d *desktoptest.Desktop, args ...string) (string, error) {
	cmd := exec.Command("xdotool", args...)
	cmd.Env = d.Env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustXdotool(t *testing.T, d *desktoptest.Desktop, args ...string) {
	t.Helper()
	if out, err := xdotool(d, args...); err != nil {
		t.Fatalf("xdotool %v: %v: %s", args, err, out)
	}
}

// screenshot is the X screen as RGB bytes (ffmpeg's x11grab).
type screenshot struct {
	width int
	rgb   []byte
}

func grabScreen(t *testing.T, d *desktoptest.Desktop, width, height int) screenshot {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		testpeers.Missing(t, "ffmpeg is not installed (scripts/deps.sh installs ffmpeg)")
	}
	cmd := exec.Command("ffmpeg", "-loglevel", "error", "-f", "x11grab", "-video_size", fmt.Sprintf("%dx%d", width, height),
		"-i", d.Display, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
	cmd.Env = d.Env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || len(out) != width*height*3 {
		t.Fatalf("ffmpeg x11grab: %v (%d bytes)\n%s", err, len(out), stderr.String())
	}
	return screenshot{width: width, rgb: out}
}

func (s screenshot) at(x, y int) (r, g, b int) {
	i := (y*s.width + x) * 3
	return int(s.rgb[i]), int(s.rgb[i+1]), int(s.rgb[i+2])
}

// count is how many pixels of the box (x0,y0)-(x1,y1) satisfy ok.
func (s screenshot) count(x0, y0, x1, y1 int, ok func(r, g, b int) bool) int {
	n := 0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			if ok(s.at(x, y)) {
				n++
			}
		}
	}
	return n
}

// clickPopupButton clicks button i of the n in a Windows pop-up's bottom
// right corner (desktop/notify's layout: 96x28, 8 apart, 12 from the
// edges).
func clickPopupButton(t *testing.T, d *desktoptest.Desktop, w xWindow, i, n int) {
	t.Helper()
	x := w.X + w.Width - 12 - (n-i)*(96+8) + 8 + 48
	y := w.Y + w.Height - 12 - 14
	mustXdotool(t, d, "mousemove", strconv.Itoa(x), strconv.Itoa(y), "click", "1")
}

type presenceStatus struct {
	Available   bool
	Source      string
	LockSource  string
	State       string
	IdleSeconds float64
}

// TestWinePresenceAndPopup: the Windows agent under wine reports its idle
// time from GetLastInputInfo (growing while nothing happens, reset by a
// pointer move over a wine window, events in order), and shows
// popup.show as its own topmost window at the bottom right, whose Answer
// button and body, clicked with xdotool, are popup.action "answer" and
// "default". Also runs the Windows unit tests of desktop/idle and
// desktop/notify in the same prefix.
func TestWinePresenceAndPopup(t *testing.T) {
	if os.Getenv("BPCLIENT_WINE_E2E") == "" {
		t.Skip("SKIP: set BPCLIENT_WINE_E2E=1 to run the Windows build under wine (scripts/test.sh's release stage does)")
	}
	if !needWine(t) {
		return
	}
	d := desktoptest.StartX(t)
	if d == nil {
		return
	}
	start := time.Now()
	root := t.TempDir()
	type built struct {
		exes      windowsExes
		unitTests []string
		err       error
	}
	builds := make(chan built, 1)
	go func() {
		var b built
		b.exes, b.unitTests, b.err = pureWindowsExes(filepath.Join(root, "exe"))
		builds <- b
	}()
	prefix := bootWinePrefix(t, filepath.Join(root, "wine"))
	b := <-builds
	if b.err != nil {
		t.Fatal(b.err)
	}
	exes, unitTests := b.exes, b.unitTests
	t.Logf("built and booted in %v", time.Since(start).Round(time.Millisecond))
	prefix.AllowPageOrigin(t)
	prefix.Display = d.Display
	env := prefix.Env()

	for _, exe := range unitTests {
		cmd := exec.Command("wine", exe, "-test.count=1", "-test.v")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "\nPASS") {
			t.Errorf("%s under wine: %v\n%s", filepath.Base(exe), err, out)
		}
	}

	page := startFramePage(t, exes.Dir, env, "wine", exes.Host, "chrome-extension://"+nativemsg.ExtensionID+"/")
	var hello struct{ Capabilities []string }
	page.call(t, "helper.hello", map[string]string{"client": "wine-e2e", "pageOrigin": "https://" + browsertest.AllowedDomain}, &hello)
	for _, c := range []string{"popup", "popup-actions", "presence"} {
		if !strings.Contains(strings.Join(hello.Capabilities, " "), c) {
			t.Fatalf("helper.hello capabilities %v, want %s", hello.Capabilities, c)
		}
	}
	t.Run("presence", func(t *testing.T) { winePresence(t, d, page) })
	t.Run("popup", func(t *testing.T) { winePopup(t, d, page) })
	t.Logf("whole test %v", time.Since(start).Round(time.Millisecond))
}

// winePresence: idle after a second of nothing, active within 1 s of a
// pointer move over a wine window (wine counts input to its own windows;
// a pop-up gives one).
func winePresence(t *testing.T, d *desktoptest.Desktop, page *framePage) {
	var st presenceStatus
	page.call(t, "presence.status", nil, &st)
	if !st.Available || st.Source != "windows-lastinputinfo" || st.LockSource == "" || st.State == "locked" {
		t.Fatalf("presence.status %+v, want windows-lastinputinfo with a lock source, not locked", st)
	}
	t.Logf("presence.status %+v", st)
	var shown struct{ PopupID string }
	page.call(t, "popup.show", map[string]any{"title": "Presence target", "body": "a wine window to move over"}, &shown)
	w := findXWindow(t, d, "^Presence target$", 15*time.Second)

	defer page.request("popup.close", map[string]string{"popupId": shown.PopupID})

	// The prefix has had no input yet: the first move makes it active.
	m := page.mark()
	mustXdotool(t, d, "mousemove", strconv.Itoa(w.X+40), strconv.Itoa(w.Y+40))
	page.waitEvent(t, m, 3*time.Second, "presence.changed", `"state":"active"`)
	m = page.mark()
	page.call(t, "presence.configure", map[string]any{"idleAfterSeconds": 1}, nil)
	page.waitEvent(t, m, 5*time.Second, "presence.changed", `"state":"idle"`)
	page.call(t, "presence.status", nil, &st)
	if st.IdleSeconds < 1 {
		t.Errorf("idle with idleSeconds %v", st.IdleSeconds)
	}
	moved := time.Now()
	mustXdotool(t, d, "mousemove", strconv.Itoa(w.X+60), strconv.Itoa(w.Y+50))
	page.waitEvent(t, m, 3*time.Second, "presence.changed", `"state":"active"`)
	if lag := time.Since(moved); lag > time.Second {
		t.Errorf("active %v after the input, want within 1 s", lag)
	}
	var states []string
	for _, e := range page.eventsSince(m) {
		if e.Method == "presence.changed" {
			var ev struct{ State string }
			json.Unmarshal(e.Params, &ev)
			states = append(states, ev.State)
		}
	}
	if strings.Join(states, ",") != "idle,active" {
		t.Errorf("presence.changed states %v, want idle then active", states)
	}
	page.call(t, "presence.configure", map[string]any{"idleAfterSeconds": 300}, nil)
}

// winePopup: the pop-up is at the bottom right, drawn (the accent strip,
// dark title text on a light face), and clicks on Answer and on the body
// come back as popup.action.
func winePopup(t *testing.T, d *desktoptest.Desktop, page *framePage) {
	const screenW, screenH = 1280, 800 // desktoptest's Xvfb screen
	m := page.mark()
	var shown struct {
		PopupID string
		Actions bool
	}
	page.call(t, "popup.show", map[string]any{"tag": "call:1", "title": "Incoming call: Ann <b>&</b> co", "body": "+44 20 7946 0000",
		"actions": []map[string]string{{"id": "answer", "label": "Answer"}, {"id": "decline", "label": "Decline"}}}, &shown)
	if !shown.Actions {
		t.Errorf("popup.show %+v, want the buttons on the screen", shown)
	}
	w := findXWindow(t, d, "^Incoming call: Ann <b>&</b> co$", 15*time.Second)
	t.Logf("pop-up window %+v", w)
	right, bottom := screenW-(w.X+w.Width), screenH-(w.Y+w.Height)
	if right < 0 || right > 40 || bottom < 0 || bottom > 80 || w.Width < 300 || w.Height < 100 {
		t.Errorf("pop-up at %+v: want about 360x132 at the bottom right of the %dx%d screen", w, screenW, screenH)
	}
	time.Sleep(300 * time.Millisecond) // painted
	shot := grabScreen(t, d, screenW, screenH)
	isAccent := func(r, g, b int) bool { return r < 40 && g > 90 && g < 150 && b > 180 }
	isDark := func(r, g, b int) bool { return r+g+b < 200 }
	isLight := func(r, g, b int) bool { return r+g+b > 600 }
	if n := shot.count(w.X+1, w.Y+10, w.X+6, w.Y+w.Height-10, isAccent); n < 5*(w.Height-20)/2 {
		t.Errorf("the accent strip: %d blue pixels at the left edge", n)
	}
	if n := shot.count(w.X+20, w.Y+10, w.X+w.Width-40, w.Y+36, isDark); n < 30 {
		t.Errorf("the title: %d dark pixels", n)
	}
	if n := shot.count(w.X+20, w.Y+40, w.X+w.Width-20, w.Y+70, isLight); n < (w.Width-40)*30/2 {
		t.Errorf("the face: %d light pixels", n)
	}

	clicked := time.Now()
	clickPopupButton(t, d, w, 0, 2) // Answer
	ev := page.waitEvent(t, m, 5*time.Second, "popup.action", `"action":"answer"`, `"popupId":"`+shown.PopupID+`"`, `"tag":"call:1"`)
	t.Logf("popup.action %s %v after the click", ev.Params, time.Since(clicked).Round(time.Millisecond))
	page.waitEvent(t, m, 5*time.Second, "popup.closed", `"popupId":"`+shown.PopupID+`"`)

	m = page.mark()
	page.call(t, "popup.show", map[string]any{"title": "Chat from Bob", "body": "hello"}, &shown)
	w = findXWindow(t, d, "^Chat from Bob$", 15*time.Second)
	mustXdotool(t, d, "mousemove", strconv.Itoa(w.X+100), strconv.Itoa(w.Y+55), "click", "1")
	page.waitEvent(t, m, 5*time.Second, "popup.action", `"action":"default"`, `"popupId":"`+shown.PopupID+`"`)
}
