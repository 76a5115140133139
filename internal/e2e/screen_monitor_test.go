//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/monitorapi"
	"github.com/openbpclient/bpclient/internal/agenttest"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/internal/procstat"
	"github.com/openbpclient/bpclient/internal/screentest"
	"github.com/openbpclient/bpclient/internal/testpeers"
	"github.com/openbpclient/bpclient/screen/vp8"
)

// monitorWorld is two `bpclient agent` processes on one machine, each in
// a HOME and XDG directories of its own (two users): the agent's, whose
// screen is a 1920×1080 Xvfb painted with a known pattern (captured by
// screen/capture, encoded by screen/vp8), and the supervisor's, which
// decodes with screen/vp8. The test is the two pages, relaying the
// signalling between them as the contact center's pages do.
type monitorWorld struct {
	painter    *desktoptest.Painter
	agentProc  *browsertest.Agent
	agentEnv   *browsertest.Env // the watched agent's user: its BPClient.log
	agentPage  *agenttest.Session
	superPage  *agenttest.Session
	agentOther *agenttest.Session // a page of another origin on the agent's helper
	sdps       []string           // the offers and answers connect exchanged
}

// The quadrant pattern, left to right and top to bottom.
var quadrantColours = [4]color.RGBA{screentest.Red, screentest.Green, screentest.Blue, screentest.White}

func rgb(c color.RGBA) uint32 { return uint32(c.R)<<16 | uint32(c.G)<<8 | uint32(c.B) }

func newMonitorWorld(t *testing.T) *monitorWorld {
	return newMonitorWorldWith(t, monitorWorldOptions{})
}

// needVP8 skips the test (fails it under CI=true) when screen/vp8 is not
// in this build.
func needVP8(t *testing.T) {
	t.Helper()
	if !vp8.Available() {
		if testpeers.Required() {
			t.Fatal("screen/vp8 is not in this build: test with -tags vpx (scripts/test.sh does)")
		}
		t.Skip("SKIP: screen/vp8 is not in this build (-tags vpx and cgo with libvpx-dev)")
	}
}

// startQuadrantScreen starts a 1920×1080 Xvfb painted with the quadrant
// pattern (nil when StartPainted skipped the test).
func startQuadrantScreen(t *testing.T) *desktoptest.Painter {
	t.Helper()
	p := desktoptest.StartPainted(t, 1920, 1080)
	if p == nil {
		return nil
	}
	p.Fill(desktoptest.Box{X: 0, Y: 0, W: 960, H: 540, RGB: rgb(quadrantColours[0])}, desktoptest.Box{X: 960, Y: 0, W: 960, H: 540, RGB: rgb(quadrantColours[1])},
		desktoptest.Box{X: 0, Y: 540, W: 960, H: 540, RGB: rgb(quadrantColours[2])}, desktoptest.Box{X: 960, Y: 540, W: 960, H: 540, RGB: rgb(quadrantColours[3])})
	return p
}

// monitorWorldOptions add to the watched agent's environment and policy
// (a test that also records gives it the upload server).
type monitorWorldOptions struct {
	agentEnv     []string
	agentDomains []string
}

func newMonitorWorldWith(t *testing.T, o monitorWorldOptions) *monitorWorld {
	t.Helper()
	needVP8(t)
	p := startQuadrantScreen(t)
	if p == nil {
		return nil
	}
	bins := screenBinaries(t)
	root, err := os.MkdirTemp("", "mon") // short: the sockets' paths
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	w := &monitorWorld{painter: p}
	var agents [2]*agenttest.Agent
	for i, name := range []string{"agent", "supervisor"} {
		env, err := browsertest.NewEnv(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		env.Extra = append(env.Extra, "DISPLAY="+p.Display)
		domains := []string{"agent.example.test", "crm.example.test"}
		if i == 0 {
			env.Extra = append(env.Extra, o.agentEnv...)
			domains = append(domains, o.agentDomains...)
		}
		if err := browsertest.WriteUserPolicy(env, domains...); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		a, err := browsertest.StartAgent(ctx, bins, env)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := a.Stop(); err != nil {
				t.Error(err)
			}
		})
		if i == 0 {
			w.agentProc, w.agentEnv = a, env
		}
		agents[i] = agenttest.Connect(t, env.AgentSocket())
	}
	w.agentPage = agents[0].Open("agent desktop", agenttest.OriginA)
	w.agentOther = agents[0].Open("other site", agenttest.OriginB)
	w.superPage = agents[1].Open("supervisor desktop", agenttest.OriginA)
	return w
}

// relay carries the candidates of one side's events to the other side's
// method until stop is closed, as a page would.
func relay(t *testing.T, from *agenttest.Session, event, idField, id string, to *agenttest.Session, method, toField, toID string, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	cursor := 0
	for {
		for _, ev := range from.Since(cursor) {
			cursor++
			if ev.Method != event {
				continue
			}
			var p map[string]string
			if err := json.Unmarshal(ev.Params, &p); err != nil || p[idField] != id {
				continue
			}
			var res any
			if jerr := to.Call(method, map[string]string{toField: toID, "candidate": p["candidate"]}, &res); jerr != nil {
				t.Errorf("relay %s: %v", method, jerr)
			}
		}
		select {
		case <-stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// connect offers the agent's screen to the supervisor and relays until
// the test ends.
func (w *monitorWorld) connect(t *testing.T, monitorID, viewID string, fps int) {
	t.Helper()
	var offer, answer struct{ SDP string }
	if jerr := w.agentPage.Call("screen.monitor.offer", map[string]any{"monitorId": monitorID, "fps": fps, "maxWidth": 1920}, &offer); jerr != nil {
		t.Fatalf("offer: %v", jerr)
	}
	if jerr := w.superPage.Call("screen.view.start", map[string]any{"viewId": viewID, "sdp": offer.SDP}, &answer); jerr != nil {
		t.Fatalf("view.start: %v", jerr)
	}
	w.sdps = append(w.sdps, offer.SDP, answer.SDP)
	if jerr := w.agentPage.Call("screen.monitor.answer", map[string]any{"monitorId": monitorID, "sdp": answer.SDP}, nil); jerr != nil {
		t.Fatalf("answer: %v", jerr)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go relay(t, w.agentPage, monitorapi.EventMonitorCandidate, "monitorId", monitorID, w.superPage, "screen.view.candidate", "viewId", viewID, stop, &wg)
	go relay(t, w.superPage, monitorapi.EventViewCandidate, "viewId", viewID, w.agentPage, "screen.monitor.candidate", "monitorId", monitorID, stop, &wg)
	t.Cleanup(func() { close(stop); wg.Wait() })
}

type viewFrame struct {
	img  image.Image
	at   time.Time // decoded by the supervisor's helper
	size int
}

// nextFrame waits for the supervisor page's next frame event of viewID
// for which ok holds.
func (w *monitorWorld) nextFrame(t *testing.T, cursor *int, viewID string, ok func(image.Image) bool) viewFrame {
	t.Helper()
	for {
		ev := w.superPage.Await(cursor, "a screen.view.frame", func(ev client.Event) bool { return ev.Method == monitorapi.EventViewFrame })
		var p struct {
			ViewID        string
			Width, Height int
			JPEG          string
			Time          int64
		}
		if err := json.Unmarshal(ev.Params, &p); err != nil {
			t.Fatal(err)
		}
		if p.ViewID != viewID {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(p.JPEG)
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != p.Width || b.Dy() != p.Height {
			t.Fatalf("frame event says %dx%d, its JPEG is %v", p.Width, p.Height, b)
		}
		if jerr := w.superPage.Call("screen.view.ack", map[string]string{"viewId": viewID}, nil); jerr != nil {
			t.Fatalf("ack: %v", jerr)
		}
		if ok(img) {
			return viewFrame{img: img, at: time.UnixMilli(p.Time), size: len(raw)}
		}
	}
}

func colourNear(img image.Image, x, y int, want color.RGBA) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	d := func(a uint32, w uint8) bool { v := int(a>>8) - int(w); return v < 48 && v > -48 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

// quadrantsWrong says which quarter of img does not show the pattern.
func quadrantsWrong(img image.Image) string {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var bad []string
	for _, c := range []struct {
		x, y int
		want color.RGBA
	}{{w / 4, h / 4, screentest.Red}, {3 * w / 4, h / 4, screentest.Green}, {w / 4, 3 * h / 4, screentest.Blue}, {3 * w / 4, 3 * h / 4, screentest.White}} {
		if !colourNear(img, c.x, c.y, c.want) {
			r, g, bl, _ := img.At(c.x, c.y).RGBA()
			bad = append(bad, fmt.Sprintf("%d,%d is %d,%d,%d want %v", c.x, c.y, r>>8, g>>8, bl>>8, c.want))
		}
	}
	return strings.Join(bad, "; ")
}

// TestScreenMonitorBetweenTwoAgents: the supervisor's helper shows the
// agent's screen: the decoded frames show the pattern's colours at the
// right pixels, a change of the screen's colour reaches the viewer (the
// glass-to-glass delay is printed), and stop ends both sides.
func TestScreenMonitorBetweenTwoAgents(t *testing.T) {
	w := newMonitorWorld(t)
	if w == nil {
		return
	}
	const fps = 2
	agentCursor, superCursor := 0, 0
	w.connect(t, "m1", "v1", fps)
	w.agentPage.Await(&agentCursor, "monitor live", stateIs(monitorapi.EventMonitorState, "live"))
	w.superPage.Await(&superCursor, "view live", stateIs(monitorapi.EventViewState, "live"))

	// Without acks no more than two frame events wait for the page.
	time.Sleep(2 * time.Second)
	if n := countEvents(w.superPage, superCursor, monitorapi.EventViewFrame); n != 2 {
		t.Fatalf("%d frame events before the page acknowledged any, want 2", n)
	}
	first := w.nextFrame(t, &superCursor, "v1", func(image.Image) bool { return true })
	if b := first.img.Bounds(); b.Dx() != 1920 || b.Dy() != 1080 {
		t.Fatalf("frame of %v, want 1920x1080", b)
	}
	if bad := quadrantsWrong(first.img); bad != "" {
		t.Fatalf("the viewer's frame does not show the pattern: %s", bad)
	}

	pid := w.agentProc.Cmd.Process.Pid
	cpu0, sent0 := cpuOf(t, pid), w.sentBytes(t)
	start := time.Now()
	var delays []time.Duration
	for i, c := range []color.RGBA{screentest.Blue, screentest.Green, screentest.Red} {
		w.painter.Fill(desktoptest.Box{X: 0, Y: 0, W: 1920, H: 1080, RGB: rgb(c)})
		painted := time.Now()
		f := w.nextFrame(t, &superCursor, "v1", func(img image.Image) bool { return colourNear(img, 480, 270, c) && colourNear(img, 1440, 810, c) })
		delays = append(delays, f.at.Sub(painted))
		t.Logf("colour change %d (%v): first viewer frame with it after %v (%d-byte JPEG)", i+1, c, f.at.Sub(painted).Round(time.Millisecond), f.size)
	}
	// A still screen for a while: what an agent reading a form costs.
	stillFrom, stillSent, stillCPU := time.Now(), w.sentBytes(t), cpuOf(t, pid)
	time.Sleep(4 * time.Second)
	elapsed, still := time.Since(start), time.Since(stillFrom)
	cpu1, sent1 := cpuOf(t, pid), w.sentBytes(t)
	fmt.Printf("screen monitor, loopback, 1920x1080 at %d fps (load average %s; numbers under this load, not final): glass-to-glass %v; "+
		"the agent's helper (capture, encode, send) over %.1f s with 3 full-screen colour changes: %.1f%% CPU, VP8 %.0f bytes/s; of that the last %.1f s still: %.1f%% CPU, %.0f bytes/s\n",
		fps, loadAverage(), delays, elapsed.Seconds(), 100*(cpu1-cpu0).Seconds()/elapsed.Seconds(), float64(sent1-sent0)/elapsed.Seconds(),
		still.Seconds(), 100*(cpu1-stillCPU).Seconds()/still.Seconds(), float64(sent1-stillSent)/still.Seconds())

	if jerr := w.agentPage.Call("screen.monitor.stop", map[string]any{"monitorId": "m1"}, nil); jerr != nil {
		t.Fatalf("stop: %v", jerr)
	}
	ev := w.agentPage.Await(&agentCursor, "monitor ended", stateIs(monitorapi.EventMonitorState, "ended"))
	if !strings.Contains(string(ev.Params), `"reason":"stopped"`) {
		t.Errorf("ended: %s", ev.Params)
	}
	ev = w.superPage.Await(&superCursor, "view ended", stateIs(monitorapi.EventViewState, "ended"))
	t.Logf("the view, once the agent stopped: %s", ev.Params)
	// Once ended, the agent can be watched again.
	var offer struct{ SDP string }
	if jerr := w.agentPage.Call("screen.monitor.offer", map[string]any{"monitorId": "m2"}, &offer); jerr != nil {
		t.Fatalf("offer after stop: %v", jerr)
	}
}

// TestScreenMonitorBadInput: unknown ids, an answer before any offer, a
// second viewer, bad SDP, absurd fps, another origin's requests: each a
// clear error by code and reason, and both helpers still answer.
func TestScreenMonitorBadInput(t *testing.T) {
	w := newMonitorWorld(t)
	if w == nil {
		return
	}
	wantErr := func(s *agenttest.Session, method string, params map[string]any, code int, reason string) {
		t.Helper()
		jerr := s.Call(method, params, nil)
		if jerr == nil {
			t.Errorf("%s %v: no error", method, params)
			return
		}
		if jerr.Code != code {
			t.Errorf("%s %v: code %d (%s), want %d", method, params, jerr.Code, jerr.Message, code)
		}
		if reason != "" && !strings.Contains(fmt.Sprint(jerr.Data), reason) {
			t.Errorf("%s %v: data %v (%s), want reason %s", method, params, jerr.Data, jerr.Message, reason)
		}
	}
	screenCode := jsonrpc.CodeScreen
	wantErr(w.agentPage, "screen.monitor.answer", map[string]any{"monitorId": "m1", "sdp": "v=0"}, screenCode, jsonrpc.ReasonNoSuchMonitor)
	wantErr(w.agentPage, "screen.monitor.candidate", map[string]any{"monitorId": "nope", "candidate": "x"}, screenCode, jsonrpc.ReasonNoSuchMonitor)
	wantErr(w.agentPage, "screen.monitor.stop", map[string]any{"monitorId": "nope"}, screenCode, jsonrpc.ReasonNoSuchMonitor)
	wantErr(w.agentPage, "screen.monitor.offer", map[string]any{"monitorId": "m1", "fps": 50}, jsonrpc.CodeInvalidParams, "")
	wantErr(w.agentPage, "screen.monitor.offer", map[string]any{"monitorId": "m1", "maxWidth": 100000}, jsonrpc.CodeInvalidParams, "")
	wantErr(w.agentPage, "screen.monitor.offer", map[string]any{"monitorId": "../../etc"}, jsonrpc.CodeInvalidParams, "")
	wantErr(w.superPage, "screen.view.start", map[string]any{"viewId": "v1", "sdp": "not sdp"}, screenCode, jsonrpc.ReasonBadSDP)
	wantErr(w.superPage, "screen.view.stop", map[string]any{"viewId": "v1"}, screenCode, jsonrpc.ReasonNoSuchView)

	var offer struct{ SDP string }
	if jerr := w.agentPage.Call("screen.monitor.offer", map[string]any{"monitorId": "m1"}, &offer); jerr != nil {
		t.Fatalf("offer: %v", jerr)
	}
	wantErr(w.agentPage, "screen.monitor.offer", map[string]any{"monitorId": "m2"}, screenCode, jsonrpc.ReasonBusy)
	wantErr(w.agentOther, "screen.monitor.offer", map[string]any{"monitorId": "m3"}, screenCode, jsonrpc.ReasonBusy)
	wantErr(w.agentOther, "screen.monitor.answer", map[string]any{"monitorId": "m1", "sdp": offer.SDP}, screenCode, jsonrpc.ReasonNoSuchMonitor)
	wantErr(w.agentOther, "screen.monitor.stop", map[string]any{"monitorId": "m1"}, screenCode, jsonrpc.ReasonNoSuchMonitor)
	wantErr(w.agentPage, "screen.monitor.answer", map[string]any{"monitorId": "m1", "sdp": "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"}, screenCode, jsonrpc.ReasonBadSDP)
	wantErr(w.agentPage, "screen.monitor.candidate", map[string]any{"monitorId": "m1", "candidate": strings.Repeat("x", 5000)}, jsonrpc.CodeInvalidParams, "")

	var answer struct{ SDP string }
	if jerr := w.superPage.Call("screen.view.start", map[string]any{"viewId": "v1", "sdp": offer.SDP}, &answer); jerr != nil {
		t.Fatalf("view.start: %v", jerr)
	}
	wantErr(w.superPage, "screen.view.start", map[string]any{"viewId": "v1", "sdp": offer.SDP}, screenCode, jsonrpc.ReasonWrongState)
	if jerr := w.agentPage.Call("screen.monitor.answer", map[string]any{"monitorId": "m1", "sdp": answer.SDP}, nil); jerr != nil {
		t.Fatalf("answer: %v", jerr)
	}
	wantErr(w.agentPage, "screen.monitor.answer", map[string]any{"monitorId": "m1", "sdp": answer.SDP}, screenCode, jsonrpc.ReasonWrongState)
	wantErr(w.agentPage, "screen.monitor.candidate", map[string]any{"monitorId": "m1", "candidate": "candidate:garbage"}, screenCode, jsonrpc.ReasonBadCandidate)

	for _, s := range []*agenttest.Session{w.agentPage, w.superPage, w.agentOther} {
		var pong map[string]bool
		if jerr := s.Call("helper.ping", nil, &pong); jerr != nil || !pong["pong"] {
			t.Errorf("%s: ping after the bad input: %v %v", s.Name, pong, jerr)
		}
	}
}

func countEvents(s *agenttest.Session, from int, method string) int {
	n := 0
	for _, ev := range s.Since(from) {
		if ev.Method == method {
			n++
		}
	}
	return n
}

func stateIs(event, state string) func(client.Event) bool {
	return func(ev client.Event) bool {
		return ev.Method == event && strings.Contains(string(ev.Params), `"state":"`+state+`"`)
	}
}

func cpuOf(t *testing.T, pid int) time.Duration {
	t.Helper()
	own, _, err := procstat.CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	return own
}

// sentBytes is the VP8 the agent's helper has sent for the monitoring.
func (w *monitorWorld) sentBytes(t *testing.T) int64 {
	t.Helper()
	var st struct {
		ScreenLive struct {
			SentFrames, SentKeyframes, SentBytes int64
		} `json:"screenLive"`
	}
	if jerr := w.agentPage.Call("helper.status", nil, &st); jerr != nil {
		t.Fatal(jerr)
	}
	t.Logf("the agent's helper sent %d frames (%d keyframes), %d bytes", st.ScreenLive.SentFrames, st.ScreenLive.SentKeyframes, st.ScreenLive.SentBytes)
	return st.ScreenLive.SentBytes
}
