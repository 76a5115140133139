//go:build linux

package e2e

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/internal/screentest"
	"github.com/openbpclient/bpclient/nativemsg/extension"
)

//go:embed testdata/monitorpage
var monitorPageFiles embed.FS

// signallingRelay is the contact center's part in miniature: boxes of
// JSON messages the pages post and fetch (POST /relay/<box> appends,
// GET /relay/<box>?from=n returns the messages from index n).
type signallingRelay struct {
	mu    sync.Mutex
	boxes map[string][]json.RawMessage
}

func (r *signallingRelay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	box := strings.TrimPrefix(req.URL.Path, "/relay/")
	w.Header().Set("Cache-Control", "no-store")
	switch req.Method {
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if err != nil || !json.Valid(body) {
			http.Error(w, "a JSON message, please", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.boxes[box] = append(r.boxes[box], body)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet:
		from, err := strconv.Atoi(req.URL.Query().Get("from"))
		if err != nil || from < 0 {
			http.Error(w, "from=<index>, please", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		msgs := []json.RawMessage{}
		if from < len(r.boxes[box]) {
			msgs = append(msgs, r.boxes[box][from:]...)
		}
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(msgs)
	default:
		http.Error(w, "GET or POST", http.StatusMethodNotAllowed)
	}
}

// monitorPageUser is one user of the machine: a HOME of their own with a
// running agent, the host manifests `bpclient install` wrote there, and a
// headless Chromium of that HOME with the real extension.
type monitorPageUser struct {
	env     *browsertest.Env
	browser *browsertest.Chromium
	page    browsertest.Page
}

func startMonitorPageUser(t *testing.T, ctx context.Context, root, name, display, ext string) *monitorPageUser {
	t.Helper()
	bins := screenBinaries(t)
	env, err := browsertest.NewEnv(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	env.Extra = append(env.Extra, "DISPLAY="+display)
	if err := browsertest.WriteUserPolicy(env, browsertest.AllowedDomain); err != nil {
		t.Fatal(err)
	}
	agent, err := browsertest.StartAgent(ctx, bins, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			if log, err := os.ReadFile(env.LogFile()); err == nil {
				t.Logf("%s's BPClient.log:\n%s", name, tail(log, 40))
			}
		}
		if err := agent.Stop(); err != nil {
			t.Error(err)
		}
	})
	if _, err := browsertest.InstallManifests(ctx, bins, env); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var outMu sync.Mutex
	b, err := browsertest.StartChromium(ctx, browsertest.ChromiumOptions{
		Env: env, Extensions: []string{ext}, ExtensionID: extension.ChromiumID, Output: &lockedBuffer{b: &out, mu: &outMu},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			outMu.Lock()
			t.Logf("%s's chromium output:\n%s", name, tail(out.Bytes(), 30))
			outMu.Unlock()
		}
		b.Close()
	})
	return &monitorPageUser{env: env, browser: b}
}

// open loads the monitoring test page in role.
func (u *monitorPageUser) open(t *testing.T, ctx context.Context, srv *browsertest.Server, role string) {
	t.Helper()
	p, err := u.browser.NewPage(ctx, srv.URL(browsertest.AllowedDomain, "/monitorpage/monitor.html?role="+role))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	u.page = p
}

// monitorPageState is what window.monitorPage tells.
type monitorPageState struct {
	State    string   `json:"state"`
	Error    string   `json:"error"`
	Frames   int      `json:"frames"`
	Width    int      `json:"width"`
	Height   int      `json:"height"`
	Received []string `json:"received"`
}

func (u *monitorPageUser) state(t *testing.T, ctx context.Context) monitorPageState {
	t.Helper()
	var st monitorPageState
	if err := u.page.Eval(ctx, `window.monitorPage || {state: "not loaded"}`, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// lastFrame is the frame the supervisor's page drew last, read back from
// its canvas.
func (u *monitorPageUser) lastFrame(t *testing.T, ctx context.Context) image.Image {
	t.Helper()
	var url string
	if err := u.page.Eval(ctx, `window.monitorPage.lastFrame()`, &url); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(url, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// awaitFrame waits until the supervisor's page has drawn a frame after
// the first `after` for which ok holds, failing with both pages' states
// on a page error or at the deadline.
func awaitFrame(t *testing.T, ctx context.Context, agent, super *monitorPageUser, after int, within time.Duration, ok func(image.Image) string) (image.Image, int) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := "no frame drawn"
	for {
		a, s := agent.state(t, ctx), super.state(t, ctx)
		if a.Error != "" || s.Error != "" {
			t.Fatalf("a page failed: agent %+v; supervisor %+v", a, s)
		}
		if s.Frames > after {
			img := super.lastFrame(t, ctx)
			if last = ok(img); last == "" {
				return img, s.Frames
			}
			after = s.Frames
		}
		if time.Now().After(deadline) {
			t.Fatalf("within %v the supervisor's page drew no frame that fits (last: %s): agent %+v; supervisor %+v", within, last, a, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestScreenMonitorThroughRealPages: two users on one machine, each with
// their own HOME, agent, host manifests and headless Chromium with the
// real extension. The agent's page offers its screen (a 1920×1080 Xvfb
// with the quadrant pattern), the supervisor's page answers, and the
// SDP and ICE candidates go both ways through the test server's relay
// as a contact center's pages carry them. The frames the supervisor's
// page receives and draws show the pattern at the right pixels, and a
// change of the agent's screen reaches the supervisor's page.
func TestScreenMonitorThroughRealPages(t *testing.T) {
	needVP8(t)
	browsertest.NeedChromium(t)
	p := startQuadrantScreen(t)
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root, err := os.MkdirTemp("", "monp") // short: the sockets' paths
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	ext := filepath.Join(root, "ext")
	if err := extension.Build(ext, extension.Chromium, extension.Options{}); err != nil {
		t.Fatal(err)
	}
	srv, err := browsertest.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	pageFiles, err := fs.Sub(monitorPageFiles, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle("/monitorpage/", http.FileServerFS(pageFiles))
	srv.Handle("/relay/", &signallingRelay{boxes: map[string][]json.RawMessage{}})

	agent := startMonitorPageUser(t, ctx, root, "agent", p.Display, ext)
	super := startMonitorPageUser(t, ctx, root, "super", p.Display, ext)
	start := time.Now()
	super.open(t, ctx, srv, "supervisor")
	agent.open(t, ctx, srv, "agent")

	first, n := awaitFrame(t, ctx, agent, super, 0, 20*time.Second, func(img image.Image) string {
		if b := img.Bounds(); b.Dx() != 1920 || b.Dy() != 1080 {
			return fmt.Sprintf("a frame of %v, want 1920x1080", b)
		}
		return quadrantsWrong(img)
	})
	t.Logf("the supervisor's page drew the agent's screen %v after the pages opened (%v)", time.Since(start).Round(time.Millisecond), first.Bounds())
	// The agent's page heard of it too, having applied the answer before
	// the supervisor's candidates.
	for st := agent.state(t, ctx); st.State != "monitor live" || !strings.HasPrefix(strings.Join(st.Received, ","), "sdp,candidate"); st = agent.state(t, ctx) {
		if time.Since(start) > 30*time.Second {
			t.Fatalf("the agent's page: %+v, want monitor live, the answer and then the supervisor's candidates", st)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The agent's screen changes: the supervisor's page follows.
	p.Fill(desktoptest.Box{X: 0, Y: 0, W: 1920, H: 1080, RGB: rgb(screentest.Blue)})
	painted := time.Now()
	awaitFrame(t, ctx, agent, super, n, 10*time.Second, func(img image.Image) string {
		for _, at := range [][2]int{{480, 270}, {1440, 270}, {480, 810}, {1440, 810}} {
			if !colourNear(img, at[0], at[1], screentest.Blue) {
				return fmt.Sprintf("%v at %v, want blue", img.At(at[0], at[1]), at)
			}
		}
		return ""
	})
	t.Logf("the colour change reached the supervisor's page after %v", time.Since(painted).Round(time.Millisecond))
}
