//go:build windows

package desktopclient_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/desktopclient"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/internal/fakedesktop"
	"github.com/openbpclient/bpclient/nativemsg"
)

// TestDesktopAPIOverTheAgentPipe talks to this user's running agent over
// its named pipe (the pipe's ACL admits this user), as a Windows desktop
// application does: malformed and oversized frames get the agent's
// errors and leave it up; then, with a fake Agent Desktop attached over
// the pipe too, the Go client waits for it, makes a call (the page's
// answer and events come back in order) and sees it detach.
// scripts/test-release.sh runs it under wine against the installed
// bpclient.exe with BPCLIENT_TEST_AGENT_PIPE=1; without it, it skips.
func TestDesktopAPIOverTheAgentPipe(t *testing.T) {
	if os.Getenv("BPCLIENT_TEST_AGENT_PIPE") != "1" {
		t.Skip("SKIP: set BPCLIENT_TEST_AGENT_PIPE=1 to test against this user's running agent (scripts/test-release.sh does, under wine)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	addr, err := ipc.DefaultAddr()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(addr, `\\.\pipe\`) {
		t.Fatalf("the agent's endpoint is %s, not a named pipe", addr)
	}

	// Not JSON: a parse error, and the session stays up for a hello.
	conn, err := ipc.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := nativemsg.NewReader(conn)
	wantError(t, conn, r, []byte(`{"jsonrpc":"2.0","id":1,`), jsonrpc.CodeParseError)
	send(t, conn, []byte(`{"jsonrpc":"2.0","id":2,"method":"helper.hello","params":{"client":"pipe test","desktopApp":true}}`))
	if reply := read(t, r); !strings.Contains(string(reply), `"result"`) {
		t.Fatalf("hello after a malformed frame: %s", reply)
	}
	// A length over the limit: an invalid-request error, then the agent
	// ends that session (it cannot find the next frame), and only it.
	var n [4]byte
	binary.NativeEndian.PutUint32(n[:], nativemsg.MaxFrame+1)
	if _, err := conn.Write(n[:]); err != nil {
		t.Fatal(err)
	}
	wantCode(t, read(t, r), jsonrpc.CodeInvalidRequest)
	for {
		frame, err := r.ReadFrame()
		if err != nil {
			break
		}
		if !strings.Contains(string(frame), `"method"`) {
			t.Fatalf("an answer after the oversized frame: %s", frame)
		}
	}

	page, err := fakedesktop.Attach(ctx, addr, "w-1")
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
	app, err := desktopclient.Dial(ctx, desktopclient.Options{Name: "wine CRM", Version: "1.0", Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if a := next[desktopclient.Attached](t, app); a.Agent.ID != "w-1" || len(a.Functions) != 4 {
		t.Fatalf("attached: %+v", a)
	}
	res, err := app.MakeCall(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Answered string `json:"answered"`
	}
	if json.Unmarshal(res, &answer); answer.Answered != "makeCall" {
		t.Fatalf("makeCall answered %s", res)
	}
	for _, want := range []string{"call.initiated", "call.released"} {
		if i := next[desktopclient.Interaction](t, app); i.Event != want || !strings.Contains(string(i.Params), `"1002"`) {
			t.Fatalf("interaction %s %s, want %s", i.Event, i.Params, want)
		}
	}
	page.Close()
	if d := next[desktopclient.Detached](t, app); d.Reason != "session-ended" {
		t.Fatalf("detached: %+v", d)
	}
}

func send(t *testing.T, conn net.Conn, payload []byte) {
	t.Helper()
	if err := nativemsg.WriteFrame(conn, payload); err != nil {
		t.Fatal(err)
	}
}

// read is the next answer, skipping events (they have a method).
func read(t *testing.T, r *nativemsg.Reader) []byte {
	t.Helper()
	for {
		frame, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		var ev struct{ Method string }
		if json.Unmarshal(frame, &ev); ev.Method == "" {
			return frame
		}
	}
}

func wantError(t *testing.T, conn net.Conn, r *nativemsg.Reader, payload []byte, code int) {
	t.Helper()
	send(t, conn, payload)
	wantCode(t, read(t, r), code)
}

func wantCode(t *testing.T, reply []byte, code int) {
	t.Helper()
	var resp struct {
		Error *struct{ Code int } `json:"error"`
	}
	if json.Unmarshal(reply, &resp); resp.Error == nil || resp.Error.Code != code {
		t.Fatalf("%s, want error %d", reply, code)
	}
}
