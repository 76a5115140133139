package agent

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/nativemsg"
)

// FuzzSessionFrames feeds arbitrary frames to one session, as a hostile
// page could through the extension, and checks that every answer is a
// valid JSON-RPC object within the frame limit, that requests are
// answered, and that a page never gets past the origin check.
func FuzzSessionFrames(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{"pageOrigin":"https://agent.example.test"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{"pageOrigin":"http://agent.example.test","minHelperVersion":"9.9.9"}}`,
		`{"jsonrpc":"2.0","id":2,"method":"policy.allow","params":{"domain":"evil.test"}}`,
		`{"jsonrpc":"2.0","method":"relay.identify","params":{"extension":"x"}}`,
		`{"jsonrpc":"2.0","id":"x","method":"helper.status"}`,
		`{"jsonrpc":"2.0","id":3,"method":"helper.shutdown"}`,
		`[]`, `{`, `null`,
	} {
		f.Add([]byte(s), []byte(`{"jsonrpc":"2.0","id":9,"method":"helper.status"}`))
	}
	dir := f.TempDir()
	store := &policy.Store{AdminFile: filepath.Join(dir, "admin.json"), UserFile: filepath.Join(dir, "user.json")}
	f.Fuzz(func(t *testing.T, first, second []byte) {
		srv := New(Options{Policy: store, Logger: zerolog.Nop()})
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		ss := newSession(srv, a, 1)
		// The browser's frames always come after the host's identify.
		ss.handle([]byte(`{"jsonrpc":"2.0","method":"relay.identify","params":{"browser":"chromium","extension":"chrome-extension://` + policy.ChromiumExtensionID + `/"}}`))
		for _, p := range [][]byte{first, second} {
			before := len(ss.out)
			ss.handle(p)
			msg, _, rerr := jsonrpc.Decode(p)
			if (rerr != nil || msg.IsRequest()) && len(ss.out) == before {
				t.Fatalf("no answer to %q", p)
			}
		}
		for len(ss.out) > 0 {
			frame := <-ss.out
			if frame == nil {
				continue
			}
			if len(frame) > nativemsg.MaxFrame {
				t.Fatalf("answer of %d bytes", len(frame))
			}
			m, _, rerr := jsonrpc.Decode(frame)
			if rerr != nil {
				t.Fatalf("answer %s does not decode: %v", frame, rerr)
			}
			if m.Method == "helper.clientsChanged" {
				continue
			}
		}
		ss.mu.Lock()
		defer ss.mu.Unlock()
		if ss.hello && ss.pageOrigin != "" {
			if r := mustPolicy(t, store).CheckOrigin(ss.pageOrigin); r != nil {
				t.Fatalf("session admitted with refused origin %q", ss.pageOrigin)
			}
		}
	})
}

func mustPolicy(t *testing.T, s *policy.Store) *policy.Policy {
	p, _, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
