package screenproxy

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/internal/agenttest"
)

// TestWithoutTheWorker: an agent whose bpclient-screen is missing (a
// build of bpclient alone) offers no screen capability; screen.status
// and helper.status say why with the no-worker code; every other
// screen.* method answers unavailable at once, starting nothing.
func TestWithoutTheWorker(t *testing.T) {
	missing := &MissingError{Path: "/opt/bpclient/" + Program}
	var p *Proxy
	a := agenttest.Start(t, func(srv *agent.Server) []agent.Service {
		p = New(Options{Missing: missing, Events: srv, SpoolDir: t.TempDir()})
		t.Cleanup(p.Close)
		return p.Services()
	})
	page := a.Open("agent desktop", agenttest.OriginA)
	var hello struct{ Capabilities []string }
	if jerr := page.Call("helper.hello", map[string]any{"client": "agent desktop", "pageOrigin": agenttest.OriginA}, &hello); jerr != nil {
		t.Fatal(jerr)
	}
	for _, c := range []string{"screen-recording", "screen-monitor", "screen-view"} {
		if slices.Contains(hello.Capabilities, c) {
			t.Errorf("hello offers %s without the worker: %v", c, hello.Capabilities)
		}
	}
	var st struct {
		Available  bool
		State      string
		ReasonCode string
		Reason     string
	}
	if jerr := page.Call("screen.status", nil, &st); jerr != nil || st.Available || st.State != "idle" || st.ReasonCode != doctor.ScreenNoWorker || st.Reason != missing.Error() {
		t.Errorf("screen.status %+v %v: want unavailable, idle, %s", st, jerr, doctor.ScreenNoWorker)
	}
	var hs struct {
		Screen     struct{ ReasonCode string }
		ScreenLive struct {
			Monitor    bool
			MonitorWhy string `json:"monitorUnavailable"`
		}
	}
	if jerr := page.Call("helper.status", nil, &hs); jerr != nil || hs.Screen.ReasonCode != doctor.ScreenNoWorker || hs.ScreenLive.Monitor || hs.ScreenLive.MonitorWhy == "" {
		t.Errorf("helper.status %+v %v", hs, jerr)
	}
	for _, m := range append(slices.Clone(recordMethods), liveMethods...) {
		jerr := page.Call(m, map[string]any{"recordingId": "r1", "monitorId": "m1", "viewId": "v1"}, nil)
		if jerr == nil || jerr.Code != jsonrpc.CodeScreen || jerr.Data.(map[string]any)["reason"] != jsonrpc.ReasonUnavailable {
			t.Errorf("%s without the worker: %v, want %d unavailable", m, jerr, jsonrpc.CodeScreen)
		}
	}
	if p.Running() {
		t.Error("a worker runs")
	}
}

// TestSpooled: a segment in a recording's folder needs a worker; a
// manifest alone, a half-written file or an empty spool do not.
func TestSpooled(t *testing.T) {
	dir := t.TempDir()
	if Spooled(dir) || Spooled("") {
		t.Fatal("an empty spool needs a worker")
	}
	rec := dir + "/r-0011"
	for _, f := range []string{"manifest.json", ".tmp-00000001.webm", "00000000.webm", "0000001.webm", "notes.webm", "00000001.webm.part"} {
		writeFile(t, rec, f)
	}
	if Spooled(dir) {
		t.Fatal("a manifest, a half-written segment or files the spool does not upload need a worker")
	}
	writeFile(t, rec, "00000001.webm")
	if !Spooled(dir) {
		t.Fatal("a spooled segment needs a worker")
	}
}

func writeFile(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
}
