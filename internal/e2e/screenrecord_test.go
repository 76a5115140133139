//go:build linux && cgo && vpx

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/internal/testpeers"
)

const recordPage = "https://agent.example.test"

// The pattern: four quadrants of known colours (0xRRGGBB), turned once
// at a known time; magenta fills the screen only while paused.
var (
	patternA = [4]uint32{0xff0000, 0x00ff00, 0x0000ff, 0xffffff} // top left, top right, bottom left, bottom right
	patternB = [4]uint32{0x0000ff, 0xffffff, 0xff0000, 0x00ff00}
	pciPink  = uint32(0xff00ff)
)

// quadrants paints the four quadrants of the 1080p screen.
func quadrants(p *desktoptest.Painter, c [4]uint32) {
	p.Fill(desktoptest.Box{X: 0, Y: 0, W: 960, H: 540, RGB: c[0]}, desktoptest.Box{X: 960, Y: 0, W: 960, H: 540, RGB: c[1]},
		desktoptest.Box{X: 0, Y: 540, W: 960, H: 540, RGB: c[2]}, desktoptest.Box{X: 960, Y: 540, W: 960, H: 540, RGB: c[3]})
}

// segmentServer is the contact center's upload endpoint: a real HTTPS
// server whose certificate the agent trusts through SSL_CERT_FILE, which
// a test can take away and bring back on the same address.
type segmentServer struct {
	t    *testing.T
	cert string // PEM file
	url  string

	mu       sync.Mutex
	srv      *httptest.Server
	tlsCert  tls.Certificate
	status   int
	segments map[string]map[int][]byte // recordingId → segment → body
	order    []int                     // segment numbers in the order they came
	tokens   []string
}

func startSegmentServer(t *testing.T, dir string) *segmentServer {
	s := &segmentServer{t: t, status: http.StatusCreated, segments: map[string]map[int][]byte{}}
	s.up("127.0.0.1:0")
	t.Cleanup(s.down)
	s.url = s.srv.URL
	s.cert = filepath.Join(dir, "upload-ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
	if err := os.WriteFile(s.cert, pemData, 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// up serves on addr, with the first start's certificate after it.
func (s *segmentServer) up(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("listen %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	srv.Listener.Close()
	srv.Listener = ln
	s.mu.Lock()
	if s.tlsCert.Certificate != nil {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{s.tlsCert}}
	}
	s.mu.Unlock()
	srv.StartTLS()
	s.mu.Lock()
	s.srv, s.tlsCert = srv, srv.TLS.Certificates[0]
	s.mu.Unlock()
}

// down takes the server away: connections are refused until up.
func (s *segmentServer) down() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.CloseClientConnections()
		srv.Close()
	}
}

func (s *segmentServer) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status >= 300 {
		w.WriteHeader(s.status)
		return
	}
	id := r.Header.Get("X-Recording-Id")
	n, _ := strconv.Atoi(r.Header.Get("X-Segment-Number"))
	if s.segments[id] == nil {
		s.segments[id] = map[int][]byte{}
	}
	if r.Header.Get("Content-Type") == "video/webm" {
		s.segments[id][n] = body
		s.order = append(s.order, n)
	}
	s.tokens = append(s.tokens, r.Header.Get("Authorization"))
	w.WriteHeader(s.status)
}

func (s *segmentServer) setStatus(code int) { s.mu.Lock(); s.status = code; s.mu.Unlock() }

func (s *segmentServer) got(id string) map[int][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int][]byte{}
	for n, b := range s.segments[id] {
		out[n] = b
	}
	return out
}

// recordingAgent is the real bpclient agent on a private Xvfb, with an
// HTTPS upload server it trusts.
type recordingAgent struct {
	t       *testing.T
	env     *browsertest.Env
	bins    *browsertest.Binaries
	agent   *browsertest.Agent
	paint   *desktoptest.Painter
	uploads *segmentServer
}

func startRecordingAgent(t *testing.T) *recordingAgent {
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			testpeers.Missing(t, tool+" is not installed (scripts/deps.sh installs ffmpeg)")
			return nil
		}
	}
	paint := desktoptest.StartPainted(t, 1920, 1080)
	if paint == nil {
		return nil
	}
	root, err := os.MkdirTemp("", "rec")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	env, err := browsertest.NewEnv(filepath.Join(root, "e"))
	if err != nil {
		t.Fatal(err)
	}
	r := &recordingAgent{t: t, env: env, paint: paint, uploads: startSegmentServer(t, root)}
	// An X11 session on the Xvfb, whatever desktop runs the tests: the
	// agent says "not available on Wayland yet" in a Wayland one.
	env.Extra = append(env.Extra, "DISPLAY="+paint.Display, "SSL_CERT_FILE="+r.uploads.cert, "WAYLAND_DISPLAY=", "XDG_SESSION_TYPE=x11")
	if err := browsertest.WriteUserPolicy(env, "agent.example.test", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	r.bins = screenBinaries(t)
	r.start()
	return r
}

func (r *recordingAgent) start() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := browsertest.StartAgent(ctx, r.bins, r.env)
	if err != nil {
		r.t.Fatal(err)
	}
	r.agent = a
	r.t.Cleanup(func() { _ = a.Stop() })
}

// page opens a session as the Agent Desktop page (through the extension).
func (r *recordingAgent) page() *client.Client {
	r.t.Helper()
	c, hello := dialPage(r.t, r.env.AgentSocket(), recordPage)
	if !strings.Contains(fmt.Sprint(hello["capabilities"]), "screen-recording") {
		r.t.Fatalf("the agent cannot record: hello %v", hello)
	}
	return c
}

// dialPage opens a session of a page of origin on the agent at socket,
// as the extension relays it, and returns it with its hello's answer.
func dialPage(t *testing.T, socket, origin string) (*client.Client, map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Notify("relay.identify", map[string]any{"browser": "chromium", "extension": "chrome-extension://" + policy.ChromiumExtensionID + "/"}); err != nil {
		t.Fatal(err)
	}
	var hello map[string]any
	if err := c.Call(ctx, "helper.hello", map[string]any{"client": "agent-desktop", "pageOrigin": origin}, &hello); err != nil {
		t.Fatal(err)
	}
	return c, hello
}

func call(t *testing.T, c *client.Client, method string, params any) *jsonrpc.Error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Call(ctx, method, params, nil)
	var jerr *jsonrpc.Error
	if err != nil && !errors.As(err, &jerr) {
		t.Fatalf("%s: %v", method, err)
	}
	return jerr
}

// awaitEvent waits for an event of method whose params satisfy match.
func awaitEvent(t *testing.T, c *client.Client, method string, within time.Duration, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev := <-c.Events():
			if ev.Method != method {
				continue
			}
			var p map[string]any
			_ = json.Unmarshal(ev.Params, &p)
			if match == nil || match(p) {
				return p
			}
		case <-deadline:
			t.Fatalf("no %s within %v", method, within)
		}
	}
}

func (r *recordingAgent) startParams(id string) map[string]any {
	return map[string]any{"recordingId": id, "uploadUrl": r.uploads.url + "/segments", "fps": 2, "segmentSeconds": 10,
		"headers": map[string]string{"Authorization": "Bearer e2e-token"}}
}

// decoded is one segment as ffmpeg decodes it: its size and, per frame,
// the colours at the quadrants' centres and its pts.
type decoded struct {
	width, height int
	frames        [][4][3]int
	pts           []float64
}

const thumbW, thumbH = 64, 36

func decodeSegment(t *testing.T, dir string, name string, data []byte) decoded {
	t.Helper()
	path := filepath.Join(dir, name+".webm")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height",
		"-show_entries", "frame=pts_time", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", name, err)
	}
	var info struct {
		Streams []struct {
			Codec         string `json:"codec_name"`
			Width, Height int
		}
		Frames []struct {
			PTS string `json:"pts_time"`
		}
	}
	if err := json.Unmarshal(probe, &info); err != nil || len(info.Streams) != 1 || info.Streams[0].Codec != "vp8" {
		t.Fatalf("ffprobe %s: %s (%v)", name, probe, err)
	}
	d := decoded{width: info.Streams[0].Width, height: info.Streams[0].Height}
	for _, f := range info.Frames {
		v, _ := strconv.ParseFloat(f.PTS, 64)
		d.pts = append(d.pts, v)
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command("ffmpeg", "-v", "error", "-i", path, "-vf", fmt.Sprintf("scale=%d:%d:flags=area", thumbW, thumbH),
		"-f", "rawvideo", "-pix_fmt", "rgb24", "-fps_mode", "passthrough", "-")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg decodes %s: %v: %s", name, err, stderr.String())
	}
	size := thumbW * thumbH * 3
	raw := out.Bytes()
	for len(raw) >= size {
		var q [4][3]int
		for i, pt := range [4][2]int{{thumbW / 4, thumbH / 4}, {3 * thumbW / 4, thumbH / 4}, {thumbW / 4, 3 * thumbH / 4}, {3 * thumbW / 4, 3 * thumbH / 4}} {
			o := (pt[1]*thumbW + pt[0]) * 3
			q[i] = [3]int{int(raw[o]), int(raw[o+1]), int(raw[o+2])}
		}
		d.frames = append(d.frames, q)
		raw = raw[size:]
	}
	return d
}

// near: a decoded colour within what VP8 and the YUV round trip change.
func near(got [3]int, rgb uint32) bool {
	want := [3]int{int(rgb >> 16 & 0xff), int(rgb >> 8 & 0xff), int(rgb & 0xff)}
	for i := range got {
		if d := got[i] - want[i]; d > 40 || d < -40 {
			return false
		}
	}
	return true
}

func matches(f [4][3]int, pattern [4]uint32) bool {
	for i := range f {
		if !near(f[i], pattern[i]) {
			return false
		}
	}
	return true
}

func anyNear(f [4][3]int, rgb uint32) bool {
	for i := range f {
		if near(f[i], rgb) {
			return true
		}
	}
	return false
}

// TestScreenRecordingUploadsDecodableSegments: the real agent on Xvfb
// at 1920×1080 records 20 s at 2 fps in segments of 10 s, paused for 3 s
// between, to a real HTTPS server. Each uploaded segment decodes on its
// own with ffmpeg: VP8 at 1920×1080, the frame count of its time, the
// pattern's colours where they are, and not one frame of the colour the
// screen showed while paused. Bad requests first: refused by code,
// nothing recorded.
func TestScreenRecordingUploadsDecodableSegments(t *testing.T) {
	r := startRecordingAgent(t)
	if r == nil {
		return
	}
	quadrants(r.paint, patternA)
	page := r.page()
	for name, c := range map[string]struct {
		method string
		params map[string]any
		reason string
	}{
		"http":         {"screen.record.start", map[string]any{"uploadUrl": strings.Replace(r.uploads.url, "https:", "http:", 1)}, jsonrpc.ReasonBadURL},
		"off the list": {"screen.record.start", map[string]any{"uploadUrl": "https://upload.evil.example/s"}, jsonrpc.ReasonBadURL},
		"fps 11":       {"screen.record.start", map[string]any{"fps": 11}, jsonrpc.ReasonBadParams},
		"maxWidth 1":   {"screen.record.start", map[string]any{"maxWidth": 1}, jsonrpc.ReasonBadParams},
		"pause first":  {"screen.record.pause", nil, jsonrpc.ReasonNotRecording},
	} {
		params := r.startParams("bad")
		for k, v := range c.params {
			params[k] = v
		}
		err := call(t, page, c.method, params)
		var data map[string]any
		if err != nil {
			raw, _ := json.Marshal(err.Data)
			_ = json.Unmarshal(raw, &data)
		}
		if err == nil || err.Code != jsonrpc.CodeScreen || data["reason"] != c.reason {
			t.Errorf("%s: %v, want %d %s", name, err, jsonrpc.CodeScreen, c.reason)
		}
	}
	began := time.Now()
	if err := call(t, page, "screen.record.start", r.startParams("call-e2e")); err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) { time.Sleep(time.Until(began.Add(d))) }
	at(5 * time.Second)
	quadrants(r.paint, patternB)
	at(8 * time.Second)
	if err := call(t, page, "screen.record.pause", nil); err != nil {
		t.Fatal(err)
	}
	r.paint.Fill(desktoptest.Box{W: 1920, H: 1080, RGB: pciPink}) // what must never be recorded
	at(11 * time.Second)
	quadrants(r.paint, patternB)
	if err := call(t, page, "screen.record.resume", nil); err != nil {
		t.Fatal(err)
	}
	at(23 * time.Second)
	if err := call(t, page, "screen.record.stop", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(r.uploads.got("call-e2e")) < 3 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("recorded and uploaded in %v", time.Since(began).Round(100*time.Millisecond))
	segs := r.uploads.got("call-e2e")
	if len(segs) != 3 || len(r.uploads.got("bad")) != 0 {
		t.Fatalf("the server has segments %v of call-e2e (want 1, 2, 3) and %d of the refused ones", keys(segs), len(r.uploads.got("bad")))
	}
	dir := t.TempDir()
	total := 0
	// Frames come at 0.5 s, 1 s, … after start and after resume: 15
	// before the pause at 8 s, then 24 in the 12 s after the resume.
	for n, want := range map[int]int{1: 15, 2: 20, 3: 4} {
		d := decodeSegment(t, dir, fmt.Sprintf("seg%d", n), segs[n])
		t.Logf("segment %d: %d bytes, %dx%d, %d frames, pts %v", n, len(segs[n]), d.width, d.height, len(d.frames), d.pts)
		if d.width != 1920 || d.height != 1080 {
			t.Errorf("segment %d is %dx%d", n, d.width, d.height)
		}
		if len(d.frames) < want-1 || len(d.frames) > want+1 || len(d.pts) != len(d.frames) {
			t.Errorf("segment %d: %d frames (%d pts), want %d±1", n, len(d.frames), len(d.pts), want)
		}
		total += len(d.frames)
		for i, f := range d.frames {
			if anyNear(f, pciPink) {
				t.Errorf("segment %d frame %d shows the paused screen: %v", n, i, f)
			}
			pts := 0.0
			if i < len(d.pts) {
				pts = d.pts[i]
			}
			switch {
			case n == 1 && pts < 4.0 && !matches(f, patternA):
				t.Errorf("segment 1 frame %d (pts %.1f): %v, want pattern A", i, pts, f)
			case (n > 1 || pts > 5.0) && !matches(f, patternB):
				t.Errorf("segment %d frame %d (pts %.1f): %v, want pattern B", n, i, pts, f)
			}
		}
	}
	if total < 38 || total > 40 {
		t.Errorf("%d frames in 20 s at 2 fps, want 39±1", total)
	}
	for _, tok := range r.uploads.tokens {
		if tok != "Bearer e2e-token" {
			t.Errorf("an upload came with Authorization %q", tok)
		}
	}
	if log, err := os.ReadFile(r.env.LogFile()); err != nil || bytes.Contains(log, []byte("e2e-token")) {
		t.Errorf("BPClient.log (%v) names the token", err)
	}
}

func keys(m map[int][]byte) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestScreenRecordingSurvivesAgentKill: the upload server refuses for a
// while (503), the agent is killed mid-recording, and the agent started
// again uploads the segments its spool kept, decodable.
func TestScreenRecordingSurvivesAgentKill(t *testing.T) {
	r := startRecordingAgent(t)
	if r == nil {
		return
	}
	r.recordRefused("killed")
	r.agent.Kill()
	spoolDir := filepath.Join(r.env.StateHome, "bpclient", "screen-spool")
	if left, _ := os.ReadDir(spoolDir); len(left) != 1 {
		t.Fatalf("the killed agent's spool holds %v", left)
	}
	r.uploads.setStatus(http.StatusCreated)
	restarted := time.Now()
	r.start()
	deadline := time.Now().Add(30 * time.Second)
	for len(r.uploads.got("killed")) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("spool uploaded %v after the restart", time.Since(restarted).Round(100*time.Millisecond))
	segs := r.uploads.got("killed")
	if segs[1] == nil || segs[2] == nil {
		t.Fatalf("after the restart the server has segments %v, want 1 and 2", keys(segs))
	}
	for n := 1; n <= 2; n++ {
		d := decodeSegment(t, t.TempDir(), fmt.Sprintf("k%d", n), segs[n])
		if d.width != 1920 || d.height != 1080 || len(d.frames) < 3 || len(d.frames) > 5 {
			t.Errorf("segment %d: %dx%d, %d frames (want 4±1)", n, d.width, d.height, len(d.frames))
		}
		for i, f := range d.frames {
			if !matches(f, patternA) {
				t.Errorf("segment %d frame %d: %v, want pattern A", n, i, f)
			}
		}
	}
	time.Sleep(300 * time.Millisecond)
	if left, _ := os.ReadDir(spoolDir); len(left) > 1 {
		t.Errorf("spool after the resumed upload: %v", left)
	}
}

// TestScreenRecordingOutageLosesNothing: the upload server goes away for
// 15 s mid-recording (connections refused); nothing is lost: when it
// comes back the agent's spool drains, every segment in order, each
// decodable, and the spool is empty after.
func TestScreenRecordingOutageLosesNothing(t *testing.T) {
	r := startRecordingAgent(t)
	if r == nil {
		return
	}
	quadrants(r.paint, patternA)
	page := r.page()
	params := r.startParams("outage")
	params["segmentSeconds"] = 2
	if err := call(t, page, "screen.record.start", params); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "segment 1 uploaded", func() bool { return r.uploads.got("outage")[1] != nil })
	addr := strings.TrimPrefix(r.uploads.url, "https://")
	r.uploads.down()
	time.Sleep(15 * time.Second)
	during := len(r.uploads.got("outage"))
	r.uploads.up(addr)
	back := time.Now()
	time.Sleep(2 * time.Second)
	if err := call(t, page, "screen.record.stop", nil); err != nil {
		t.Fatal(err)
	}
	spoolDir := filepath.Join(r.env.StateHome, "bpclient", "screen-spool")
	waitUntil(t, 40*time.Second, "the spool drained", func() bool {
		left, err := os.ReadDir(spoolDir)
		return err == nil && len(left) == 0
	})
	t.Logf("drained %v after the server came back", time.Since(back).Round(100*time.Millisecond))
	segs := r.uploads.got("outage")
	r.uploads.mu.Lock()
	order := append([]int(nil), r.uploads.order...)
	r.uploads.mu.Unlock()
	// Every segment once, in order; a segment whose answer the outage
	// cut off may come again right after itself (uploads are at least once).
	want := 1
	for i, n := range order {
		if i > 0 && n == order[i-1] {
			continue
		}
		if n != want {
			t.Fatalf("uploads came in the order %v, want 1, 2, 3, …", order)
		}
		want++
	}
	if len(segs) < 8 || len(segs) != want-1 || during > 2 {
		t.Fatalf("%d segments (%d before the outage ended), order %v; want about 9, all after it", len(segs), during, order)
	}
	dir := t.TempDir()
	for n, data := range segs {
		d := decodeSegment(t, dir, fmt.Sprintf("o%d", n), data)
		if d.width != 1920 || d.height != 1080 || len(d.frames) == 0 || len(d.frames) > 5 {
			t.Errorf("segment %d: %dx%d, %d frames", n, d.width, d.height, len(d.frames))
		}
		if n < len(segs) && len(d.frames) < 3 {
			t.Errorf("segment %d of the outage holds %d frames, want 4±1", n, len(d.frames))
		}
		for i, f := range d.frames {
			if !matches(f, patternA) {
				t.Errorf("segment %d frame %d: %v", n, i, f)
			}
		}
	}
}

// recordRefused records pattern A as id, in segments of 2 s, to the
// upload server refusing them (503) until two wait in the spool, and
// returns the page.
func (r *recordingAgent) recordRefused(id string) *client.Client {
	r.t.Helper()
	quadrants(r.paint, patternA)
	r.uploads.setStatus(http.StatusServiceUnavailable)
	page := r.page()
	params := r.startParams(id)
	params["segmentSeconds"] = 2
	if err := call(r.t, page, "screen.record.start", params); err != nil {
		r.t.Fatal(err)
	}
	awaitPending(r.t, page, 2)
	return page
}

// awaitPending waits until the page's recording has n segments waiting
// in the spool (the upload server refuses them).
func awaitPending(t *testing.T, page *client.Client, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st map[string]any
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := page.Call(ctx, "screen.status", nil, &st)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := st["pendingSegments"].(float64); int(got) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the spool never held %d segments: %v", n, st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
