package support_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/helper/support"
)

const (
	ourExt  = "chrome-extension://" + policy.ChromiumExtensionID + "/"
	originA = "https://agent.example.test"
	originB = "https://b.cc.example.test"
)

// TestPageAsksTheUserForLogs: through the agent's socket, a page may not
// collect logs; it asks (logs.request), the extension's popup session
// hears of it, lists it and collects it into Downloads, and the page is
// told the file's name, not its path; a denied request is told too, and
// another origin's page hears of neither.
func TestPageAsksTheUserForLogs(t *testing.T) {
	downloads := t.TempDir()
	addr := startAgent(t, downloads)
	page := dialAs(t, addr, originA)
	other := dialAs(t, addr, originB)
	popup := dialAs(t, addr, "")

	var jerr *jsonrpc.Error
	if err := page.Call(ctx(t), "logs.collect", nil, nil); !errors.As(err, &jerr) || jerr.Code != jsonrpc.CodeNotAllowed {
		t.Fatalf("a page's logs.collect: %v", err)
	}
	var req struct {
		RequestID, State string
	}
	if err := page.Call(ctx(t), "logs.request", nil, &req); err != nil || req.State != "pending" || req.RequestID == "" {
		t.Fatalf("logs.request: %+v %v", req, err)
	}
	if ev := waitEvent(t, popup, support.EventLogsRequested); !strings.Contains(ev, originA) {
		t.Errorf("the popup heard %s", ev)
	}
	var pending struct {
		Requests []support.PendingRequest `json:"requests"`
	}
	if err := popup.Call(ctx(t), "logs.pending", nil, &pending); err != nil || len(pending.Requests) != 1 || pending.Requests[0].Origin != originA {
		t.Fatalf("logs.pending: %+v %v", pending, err)
	}
	if err := page.Call(ctx(t), "logs.pending", nil, nil); !errors.As(err, &jerr) || jerr.Code != jsonrpc.CodeNotAllowed {
		t.Errorf("a page's logs.pending: %v", err)
	}
	var res map[string]any
	if err := popup.Call(ctx(t), "logs.collect", map[string]string{"requestId": req.RequestID}, &res); err != nil {
		t.Fatal(err)
	}
	name, _ := res["fileName"].(string)
	if res["saved"] != true || name == "" || res["path"] != nil {
		t.Errorf("logs.collect for the popup: %v", res)
	}
	if _, err := zip.OpenReader(filepath.Join(downloads, name)); err != nil {
		t.Errorf("the bundle in Downloads: %v", err)
	}
	ev := waitEvent(t, page, support.EventLogsCollected)
	if !strings.Contains(ev, `"saved":true`) || !strings.Contains(ev, name) || strings.Contains(ev, downloads) {
		t.Errorf("the page heard %s", ev)
	}

	// Denied.
	if err := page.Call(ctx(t), "logs.request", nil, &req); err != nil {
		t.Fatal(err)
	}
	if err := popup.Call(ctx(t), "logs.deny", map[string]string{"requestId": req.RequestID}, nil); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvent(t, page, support.EventLogsCollected); !strings.Contains(ev, `"denied":true`) {
		t.Errorf("the page heard %s", ev)
	}
	select {
	case ev := <-other.Events():
		if strings.HasPrefix(ev.Method, "logs.") {
			t.Errorf("another origin heard %s %s", ev.Method, ev.Params)
		}
	case <-time.After(200 * time.Millisecond):
	}
}

func startAgent(t *testing.T, downloads string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sup")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	store := &policy.Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user.json")}
	os.WriteFile(store.AdminFile, []byte(`{"domains":["agent.example.test","*.cc.example.test"]}`), 0o600)
	addr := filepath.Join(dir, "agent.sock")
	if runtime.GOOS == "windows" {
		addr = `\\.\pipe\bpclient-support-test-` + filepath.Base(dir)
	}
	ln, err := ipc.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := agent.New(agent.Options{Policy: store, Logger: zerolog.Nop()})
	collect := func(_ context.Context, dir string) (string, int64, error) {
		path := filepath.Join(dir, "bpclient-logs-test.zip")
		f, err := os.Create(path)
		if err != nil {
			return "", 0, err
		}
		b := support.NewBundle(f, 0, support.Scrubber{}, time.Now())
		b.AddJSON("history.json", support.Snapshot{})
		err = errors.Join(b.Close(), f.Close())
		return path, b.Size(), err
	}
	if err := srv.Register(&support.Collector{Collect: collect, Downloads: func() (string, error) { return downloads, nil }, Events: srv}); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(c, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return addr
}

// dialAs opens a session relayed by our extension: a page of origin, or
// the extension's own popup when origin is "".
func dialAs(t *testing.T, addr, origin string) *client.Client {
	t.Helper()
	c, err := client.Dial(ctx(t), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Notify("relay.identify", map[string]any{"browser": "chromium", "extension": ourExt}); err != nil {
		t.Fatal(err)
	}
	hello := map[string]any{"client": "test"}
	if origin != "" {
		hello["pageOrigin"] = origin
	}
	if err := c.Call(ctx(t), "helper.hello", hello, nil); err != nil {
		t.Fatalf("hello %s: %v", origin, err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func waitEvent(t *testing.T, c *client.Client, method string) string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-c.Events():
			if ev.Method == method {
				b, _ := json.Marshal(ev.Params)
				return string(b)
			}
		case <-deadline:
			t.Fatalf("no %s", method)
		}
	}
}
