//go:build !windows

// The FIFO that shows nothing is opened is a Unix thing; the Windows path
// rules (UNC, device paths) are unit-tested in helper/pathguard.

package phoneapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/phoneapi"
)

// configureAs calls phone.configure as a client of kind, with a 30 s hang
// guard (the old code blocked opening a FIFO the page named).
func configureAs(t *testing.T, svc *phoneapi.Service, kind string, params map[string]any) *jsonrpc.Error {
	t.Helper()
	raw, _ := json.Marshal(params)
	call := &agent.Call{Params: raw, Kind: kind, SessionID: "s1"}
	if kind == "page" {
		call.PageOrigin = "https://agent.example.test"
	}
	done := make(chan *jsonrpc.Error, 1)
	go func() {
		_, jerr := svc.Methods()["phone.configure"](context.Background(), call)
		done <- jerr
	}()
	select {
	case jerr := <-done:
		return jerr
	case <-time.After(30 * time.Second):
		t.Fatalf("phone.configure %v did not answer within 30 s (blocked opening a file?)", params)
		return nil
	}
}

// A page cannot make the agent open a file: whatever caFile names (a
// readable file, a missing one, a UNC path, a FIFO), the answer is the same
// -32602 forbidden-path, and nothing is opened. Local clients still give
// paths.
func TestPageCannotNameFiles(t *testing.T) {
	svc := phoneapi.New(phoneapi.Options{Logger: zerolog.Nop()})
	t.Cleanup(svc.Close)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ca.pem")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	base := map[string]any{"server": "127.0.0.1:5061", "transport": "tls", "domain": "example.test",
		"username": "1001", "password": "secret"}
	with := func(caFile string) map[string]any {
		p := map[string]any{"caFile": caFile}
		for k, v := range base {
			p[k] = v
		}
		return p
	}
	var first string
	for _, caFile := range []string{"/etc/passwd", filepath.Join(dir, "missing.pem"), `\\server\share\x`, "//server/share/x", fifo} {
		jerr := configureAs(t, svc, "page", with(caFile))
		if jerr == nil {
			t.Fatalf("caFile %q from a page accepted", caFile)
		}
		data, _ := json.Marshal(jerr.Data)
		if jerr.Code != jsonrpc.CodeInvalidParams || string(data) != `{"reason":"forbidden-path"}` {
			t.Errorf("caFile %q: %d %s %s, want -32602 forbidden-path", caFile, jerr.Code, jerr.Message, data)
		}
		if strings.Contains(jerr.Message, caFile) {
			t.Errorf("caFile %q: the answer echoes the path: %s", caFile, jerr.Message)
		}
		if first == "" {
			first = jerr.Message
		} else if jerr.Message != first {
			t.Errorf("caFile %q: %q differs from %q: the answer tells files apart", caFile, jerr.Message, first)
		}
	}
	// A FIFO that someone opened for reading takes a non-blocking writer;
	// ENXIO means nobody did.
	if fd, err := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		syscall.Close(fd)
		t.Error("the agent opened the FIFO the page named")
	} else if !errors.Is(err, syscall.ENXIO) {
		t.Fatalf("probe the FIFO: %v", err)
	}
	if status := mustJSON(svc.Status()); strings.Contains(string(status), `"configured":true`) {
		t.Errorf("a refused configure left a phone: %s", status)
	}

	// The CLI (a local client, the user) may name a file; a missing one
	// says so, since the user may stat it anyway.
	jerr := configureAs(t, svc, "local", with(filepath.Join(dir, "missing.pem")))
	if jerr == nil || strings.Contains(jerr.Message, "not accepted") || !strings.Contains(jerr.Message, "no such file") {
		t.Errorf("local caFile: %v, want the file's own error", jerr)
	}
	if jerr := configureAs(t, svc, "local", with(`\\server\share\x`)); jerr == nil || !strings.Contains(jerr.Message, "not accepted") {
		t.Errorf("local UNC caFile: %v, want forbidden-path", jerr)
	}
}
