//go:build linux

// Package desktoptest starts a private headless desktop for tests: Xvfb,
// a D-Bus session bus of its own, and the dunst notification server with
// a scripted menu, so that a test can pick a notification's action as a
// user would and read what dunst shows. Everything it starts ends with
// the test. See shared/recipes/desktop/notify-actions.sh.
package desktoptest

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
	"syscall"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/testpeers"
)

// hangGuard bounds every wait for a server to come up.
const hangGuard = 15 * time.Second

// Desktop is one running private desktop.
type Desktop struct {
	t   testing.TB
	dir string
	// Display is the X display ("":99"), BusAddress the session bus.
	Display    string
	BusAddress string
	// procs are the servers started, by name ("xvfb").
	procs map[string]*exec.Cmd
}

// tools are what Start needs, and the package that has each.
var tools = map[string]string{"Xvfb": "xvfb", "dbus-daemon": "dbus", "dunst": "dunst", "dunstctl": "dunst", "xdotool": "xdotool"}

// Start runs Xvfb, a session bus and dunst; it skips the test (fails it
// in CI) when one of them is not installed.
func Start(t testing.TB) *Desktop {
	t.Helper()
	d := StartWithoutServer(t)
	if d != nil {
		d.StartDunst()
	}
	return d
}

// StartWithoutServer runs Xvfb and a session bus, and no notification
// server yet: StartDunst starts it later (a session whose server comes up
// after the agent).
func StartWithoutServer(t testing.TB) *Desktop {
	t.Helper()
	d := StartX(t)
	if d == nil {
		return nil
	}
	d.BusAddress = "unix:path=" + filepath.Join(d.dir, "bus")
	d.startWithFD("dbus", []string{"dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=" + d.BusAddress, "--print-address=3"}, nil)
	return d
}

// StartBus runs a private D-Bus session bus alone (for fake services)
// and returns its address.
func StartBus(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		testpeers.Missing(t, "dbus-daemon is not installed (scripts/deps.sh installs dbus)")
		return ""
	}
	dir, err := os.MkdirTemp("", "bus")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &Desktop{t: t, dir: dir, BusAddress: "unix:path=" + filepath.Join(dir, "bus")}
	d.startWithFD("dbus", []string{"dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=" + d.BusAddress, "--print-address=3"}, nil)
	return d.BusAddress
}

// StartX runs Xvfb alone (no bus, no notification server).
func StartX(t testing.TB) *Desktop {
	t.Helper()
	for tool, pkg := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			testpeers.Missing(t, tool+" is not installed (scripts/deps.sh installs "+pkg+")")
			return nil
		}
	}
	dir, err := os.MkdirTemp("", "desk") // short: the bus is a socket path
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &Desktop{t: t, dir: dir}

	// -noreset: Xvfb otherwise resets when its last client leaves, and
	// a reset zeroes the idle time as input would.
	display := d.startWithFD("xvfb", []string{"Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-noreset", "-screen", "0", "1280x800x24"}, nil)
	d.Display = ":" + display
	return d
}

// Input is the user moving the pointer (to x, y: an absolute move is
// input even where the pointer already is; a relative move by 0 is not).
func (d *Desktop) Input(x, y int) {
	d.t.Helper()
	cmd := exec.Command("xdotool", "mousemove", strconv.Itoa(x), strconv.Itoa(y))
	cmd.Env = d.Env()
	if out, err := cmd.CombinedOutput(); err != nil {
		d.t.Fatalf("xdotool mousemove: %v: %s", err, out)
	}
}

// Env is the environment of a program that should use this desktop.
func (d *Desktop) Env() []string {
	return append(os.Environ(), "DISPLAY="+d.Display, "DBUS_SESSION_BUS_ADDRESS="+d.BusAddress, "HOME="+d.dir)
}

// startWithFD starts argv with a pipe as fd 3 and returns the first line
// it writes there (Xvfb's display number, dbus-daemon's address) once it
// is ready; it is stopped when the test ends.
func (d *Desktop) startWithFD(name string, argv []string, env []string) string {
	d.t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		d.t.Fatal(err)
	}
	defer r.Close()
	cmd := d.command(name, argv, env)
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		w.Close()
		d.t.Fatalf("start %s: %v", name, err)
	}
	w.Close()
	d.stopAtEnd(name, cmd)
	if d.procs == nil {
		d.procs = map[string]*exec.Cmd{}
	}
	d.procs[name] = cmd
	line := make(chan string, 1)
	go func() {
		var buf bytes.Buffer
		b := make([]byte, 256)
		for {
			n, err := r.Read(b)
			buf.Write(b[:n])
			if i := bytes.IndexByte(buf.Bytes(), '\n'); i >= 0 || err != nil {
				line <- strings.TrimSpace(buf.String())
				return
			}
		}
	}()
	select {
	case l := <-line:
		if l == "" {
			d.t.Fatalf("%s did not start: %s", name, d.log(name))
		}
		return l
	case <-time.After(hangGuard):
		d.t.Fatalf("%s did not start within %v: %s", name, hangGuard, d.log(name))
	}
	return ""
}

func (d *Desktop) command(name string, argv []string, env []string) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	lf, err := os.Create(filepath.Join(d.dir, name+".log"))
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { lf.Close() })
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// stopAtEnd ends cmd's process group when the test ends (last started,
// first stopped: t.Cleanup runs in reverse).
func (d *Desktop) stopAtEnd(name string, cmd *exec.Cmd) {
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	d.t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
}

// KillX kills the display's Xvfb at once: the display goes away under
// its clients, as when an X session ends.
func (d *Desktop) KillX() {
	d.t.Helper()
	cmd := d.procs["xvfb"]
	if cmd == nil {
		d.t.Fatal("no Xvfb started")
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		d.t.Fatalf("kill Xvfb: %v", err)
	}
}

func (d *Desktop) log(name string) string {
	b, _ := os.ReadFile(filepath.Join(d.dir, name+".log"))
	return string(b)
}

// fakeDmenu is dunst's menu program: dunst writes one line per action
// ("#Decline (Incoming call) [7,decline]") and takes the line printed
// back; this one prints the line of the "<id>,<key>" in the file pick.
const fakeDmenu = `#!/bin/sh
D=$(dirname "$0"); cat >"$D/menu.txt"; grep -m1 -F "[$(cat "$D/pick")]" "$D/menu.txt" || true
`

// dunstrc is dunst's shipped default in what matters here (markup full:
// it renders markup and says so in its capabilities), with no timeouts of
// its own (a notification stays until closed or its own timeout) and the
// fake menu.
const dunstrc = `[global]
    markup = full
    dmenu = DIR/dmenu.sh -p dunst:
    browser = /bin/true
    follow = none
[urgency_low]
    timeout = 0
[urgency_normal]
    timeout = 0
[urgency_critical]
    timeout = 0
`

// StartDunst starts dunst on the desktop's bus and waits until it has
// taken the notification service's name.
func (d *Desktop) StartDunst() {
	d.t.Helper()
	if err := os.WriteFile(filepath.Join(d.dir, "dmenu.sh"), []byte(fakeDmenu), 0o755); err != nil {
		d.t.Fatal(err)
	}
	rc := filepath.Join(d.dir, "dunstrc")
	if err := os.WriteFile(rc, []byte(strings.ReplaceAll(dunstrc, "DIR", d.dir)), 0o644); err != nil {
		d.t.Fatal(err)
	}
	cmd := d.command("dunst", []string{"dunst", "-config", rc}, d.Env())
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("start dunst: %v", err)
	}
	d.stopAtEnd("dunst", cmd)
	deadline := time.Now().Add(hangGuard)
	for {
		if _, err := d.dunstctl("is-paused"); err == nil {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("dunst did not take the bus within %v: %s", hangGuard, d.log("dunst"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *Desktop) dunstctl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dunstctl", args...)
	cmd.Env = d.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("dunstctl %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func (d *Desktop) mustDunstctl(args ...string) string {
	d.t.Helper()
	out, err := d.dunstctl(args...)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

// Displayed is how many notifications dunst shows now.
func (d *Desktop) Displayed() int {
	d.t.Helper()
	n, err := strconv.Atoi(d.mustDunstctl("count", "displayed"))
	if err != nil {
		d.t.Fatal(err)
	}
	return n
}

// WaitDisplayed waits until dunst shows n notifications.
func (d *Desktop) WaitDisplayed(n int, within time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(within)
	for d.Displayed() != n {
		if time.Now().After(deadline) {
			d.t.Fatalf("dunst shows %d notifications after %v, want %d", d.Displayed(), within, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Choose has the user pick action key of notification id from the
// notification's menu, as a click on its button does.
func (d *Desktop) Choose(id uint32, key string) {
	d.t.Helper()
	if err := os.WriteFile(filepath.Join(d.dir, "pick"), []byte(fmt.Sprintf("%d,%s\n", id, key)), 0o644); err != nil {
		d.t.Fatal(err)
	}
	d.mustDunstctl("context")
}

// ClickBody is a click on the newest notification's body: dunst invokes
// its "default" action.
func (d *Desktop) ClickBody() { d.t.Helper(); d.mustDunstctl("action", "0") }

// CloseAll is the user closing every notification.
func (d *Desktop) CloseAll() { d.t.Helper(); d.mustDunstctl("close-all") }

// Dismiss is the user closing the newest notification.
func (d *Desktop) Dismiss() { d.t.Helper(); d.mustDunstctl("close") }

// Shown is one notification as dunst keeps it in its history: the text
// exactly as dunst received it.
type Shown struct {
	ID      uint32
	Summary string
	Body    string
	AppName string
	Icon    string
	Urgency string
}

// History is what dunst has shown and closed, newest first.
func (d *Desktop) History() []Shown {
	d.t.Helper()
	var h struct {
		Data [][]map[string]struct {
			Data any `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(d.mustDunstctl("history")), &h); err != nil {
		d.t.Fatalf("dunstctl history: %v", err)
	}
	var out []Shown
	if len(h.Data) == 0 {
		return nil
	}
	for _, e := range h.Data[0] {
		s := func(k string) string { v, _ := e[k].Data.(string); return v }
		id, _ := e["id"].Data.(float64)
		out = append(out, Shown{ID: uint32(id), Summary: s("summary"), Body: s("body"), AppName: s("appname"), Icon: s("icon_path"), Urgency: s("urgency")})
	}
	return out
}

// WindowVisible reports whether dunst's window is mapped on the screen.
func (d *Desktop) WindowVisible() bool {
	cmd := exec.Command("xdotool", "search", "--onlyvisible", "--class", "Dunst")
	cmd.Env = d.Env()
	return cmd.Run() == nil
}
