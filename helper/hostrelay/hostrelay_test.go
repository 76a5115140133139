package hostrelay

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/nativemsg"
)

const ext = "chrome-extension://ohcdnckkmmffiobblhcjgmealjgpgeen/"

func frames(t *testing.T, msgs ...string) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		if err := nativemsg.WriteFrame(&b, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func readAll(t *testing.T, b []byte) []*jsonrpc.Message {
	t.Helper()
	var out []*jsonrpc.Message
	r := nativemsg.NewReader(bytes.NewReader(b))
	for {
		p, err := r.ReadFrame()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("output frames: %v", err)
		}
		m, _, rerr := jsonrpc.Decode(p)
		if rerr != nil {
			t.Fatalf("output %s: %v", p, rerr)
		}
		out = append(out, m)
	}
}

func TestUnavailableAnswersEveryRequest(t *testing.T) {
	var out bytes.Buffer
	starts := 0
	code := Run(context.Background(), Options{
		Args:   []string{ext},
		Stdin:  bytes.NewReader(frames(t, `{"jsonrpc":"2.0","id":1,"method":"helper.hello"}`, `{"jsonrpc":"2.0","method":"x"}`, `nope`, `{"jsonrpc":"2.0","id":"b","method":"helper.status"}`)),
		Stdout: &out,
		Log:    zerolog.Nop(),
		Dial: func(ctx context.Context) (net.Conn, error) {
			return nil, errors.New("dial unix /run/user/1000/bpclient/agent.sock: connect: connection refused")
		},
		StartAgent:   func() error { starts++; return nil },
		StartTimeout: 50 * time.Millisecond,
	})
	if code != 0 || starts != 1 {
		t.Fatalf("code %d, starts %d", code, starts)
	}
	got := readAll(t, out.Bytes())
	if len(got) != 3 {
		t.Fatalf("got %d answers, want 3 (two requests and a parse error)", len(got))
	}
	for i, want := range []struct {
		id   string
		code int
	}{{"1", jsonrpc.CodeUnavailable}, {"", jsonrpc.CodeParseError}, {`"b"`, jsonrpc.CodeUnavailable}} {
		if string(got[i].ID) != want.id && !(want.id == "" && string(got[i].ID) == "null") || got[i].Error == nil || got[i].Error.Code != want.code {
			t.Errorf("answer %d: id %s error %+v, want id %s code %d", i, got[i].ID, got[i].Error, want.id, want.code)
		}
	}
	// Any page reads these answers, before the agent checked its origin:
	// they name no path, user or OS error, only the reason.
	for _, leak := range []string{"/run/user", "1000", "agent.sock", "connection refused"} {
		if bytes.Contains(out.Bytes(), []byte(leak)) {
			t.Errorf("the answer to the browser carries %q: %s", leak, out.Bytes())
		}
	}
	if d, _ := got[0].Error.Data.(map[string]any); d["reason"] != "agent-unavailable" {
		t.Errorf("data %v, want reason agent-unavailable", got[0].Error.Data)
	}
}

func TestNotStartedByBrowser(t *testing.T) {
	if code := Run(context.Background(), Options{Args: []string{"--help"}, Log: zerolog.Nop()}); code != 2 {
		t.Fatalf("code %d, want 2", code)
	}
}

// agentPipe is an in-memory agent that records what the host sends.
func agentPipe(t *testing.T) (dial func(context.Context) (net.Conn, error), agentSide chan net.Conn) {
	agentSide = make(chan net.Conn, 1)
	return func(context.Context) (net.Conn, error) {
		a, b := net.Pipe()
		agentSide <- b
		return a, nil
	}, agentSide
}

func TestIdentifiesThenRelaysAndExitsOnEOF(t *testing.T) {
	dial, agentSide := agentPipe(t)
	stdinR, stdinW := io.Pipe()
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), Options{Args: []string{"/x/m.json", "bpclient@openbpclient.org"}, Stdin: stdinR, Stdout: &out, Log: zerolog.Nop(), Dial: dial})
	}()
	agent := <-agentSide
	r := nativemsg.NewReader(agent)
	p, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	m, _, _ := jsonrpc.Decode(p)
	if m.Method != "relay.identify" || !bytes.Contains(m.Params, []byte(`"firefox"`)) || !bytes.Contains(m.Params, []byte(`bpclient@openbpclient.org`)) {
		t.Fatalf("first frame %s", p)
	}
	go stdinW.Write(frames(t, `{"jsonrpc":"2.0","id":1,"method":"helper.hello"}`))
	if p, err = r.ReadFrame(); err != nil || !bytes.Contains(p, []byte("helper.hello")) {
		t.Fatalf("relayed %s, %v", p, err)
	}
	nativemsg.WriteFrame(agent, []byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
	time.Sleep(10 * time.Millisecond)
	start := time.Now()
	stdinW.Close()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d", code)
		}
		t.Logf("returned %v after stdin EOF", time.Since(start))
	case <-time.After(30 * time.Second):
		t.Fatal("hang guard (30 s): the relay did not return after stdin EOF")
	}
	if got := readAll(t, out.Bytes()); len(got) != 1 || string(got[0].ID) != "1" {
		t.Fatalf("browser got %v", got)
	}
}

func TestOversizedBrowserFrameClosesPort(t *testing.T) {
	dial, agentSide := agentPipe(t)
	var hdr [4]byte
	binary.NativeEndian.PutUint32(hdr[:], nativemsg.MaxFrame+1)
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), Options{Args: []string{ext}, Stdin: io.MultiReader(bytes.NewReader(hdr[:]), neverEnding{}), Stdout: &out, Log: zerolog.Nop(), Dial: dial})
	}()
	agent := <-agentSide
	go io.Copy(io.Discard, agent)
	select {
	case code := <-done:
		if code != 1 {
			t.Fatalf("exit code %d, want 1", code)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("host kept reading an oversized frame")
	}
	got := readAll(t, out.Bytes())
	if len(got) != 1 || got[0].Error == nil || got[0].Error.Code != jsonrpc.CodeInvalidRequest {
		t.Fatalf("browser got %+v", got)
	}
}

type neverEnding struct{}

func (neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestAgentGoneEndsHost(t *testing.T) {
	dial, agentSide := agentPipe(t)
	stdinR, _ := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), Options{Args: []string{ext}, Stdin: stdinR, Stdout: io.Discard, Log: zerolog.Nop(), Dial: dial})
	}()
	agent := <-agentSide
	nativemsg.NewReader(agent).ReadFrame()
	agent.Close()
	select {
	case code := <-done:
		if code != 1 {
			t.Fatalf("exit code %d, want 1", code)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("host did not end when the agent went away")
	}
}

// With no agent running, a hello that Admit refuses gets the refusal from
// the host and no agent is started; any later request gets it too. A hello
// Admit lets through starts the agent and reaches it, after
// relay.identify.
func TestAdmitBeforeStartingAgent(t *testing.T) {
	admit := func(extension, pageOrigin string) *jsonrpc.Error {
		if pageOrigin == "https://evil.test" {
			return jsonrpc.Errorf(jsonrpc.CodeNotAllowed, "not allowed").WithData(map[string]any{"reason": "origin-not-allowed", "canAsk": true})
		}
		return nil
	}
	var out bytes.Buffer
	starts := 0
	code := Run(context.Background(), Options{
		Args:   []string{ext},
		Stdin:  bytes.NewReader(frames(t, `{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{"pageOrigin":"https://evil.test"}}`, `{"jsonrpc":"2.0","id":2,"method":"call.dial"}`)),
		Stdout: &out,
		Log:    zerolog.Nop(),
		Dial: func(ctx context.Context) (net.Conn, error) {
			return nil, errors.New("connection refused")
		},
		StartAgent:   func() error { starts++; return nil },
		StartTimeout: 50 * time.Millisecond,
		Admit:        admit,
	})
	got := readAll(t, out.Bytes())
	if code != 0 || starts != 0 || len(got) != 2 {
		t.Fatalf("exit %d, %d agents started, %d answers; want 0, 0, 2", code, starts, len(got))
	}
	for i, m := range got {
		if d, _ := m.Error.Data.(map[string]any); m.Error == nil || m.Error.Code != jsonrpc.CodeNotAllowed || d["reason"] != "origin-not-allowed" || string(m.ID) != []string{"1", "2"}[i] {
			t.Errorf("answer %d: %+v, want -32001 origin-not-allowed", i, m)
		}
	}

	// Admitted: the agent is started and receives identify, then the hello.
	dial, agentSide := agentPipe(t)
	dials := 0
	stdinR, stdinW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), Options{Args: []string{ext}, Stdin: stdinR, Stdout: io.Discard, Log: zerolog.Nop(),
			Dial: func(ctx context.Context) (net.Conn, error) {
				if dials++; dials == 1 {
					return nil, errors.New("connection refused")
				}
				return dial(ctx)
			},
			StartAgent: func() error { starts++; return nil }, StartTimeout: 10 * time.Second, Admit: admit})
	}()
	hello := `{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{"pageOrigin":"https://agent.example.test"}}`
	go stdinW.Write(frames(t, hello))
	var agent net.Conn
	select {
	case agent = <-agentSide:
	case <-time.After(30 * time.Second):
		t.Fatal("hang guard (30 s): the admitted hello started no agent")
	}
	r := nativemsg.NewReader(agent)
	for i, want := range []string{"relay.identify", hello} {
		p, err := r.ReadFrame()
		if err != nil || !bytes.Contains(p, []byte(want)) {
			t.Fatalf("agent frame %d: %s %v, want %s", i, p, err, want)
		}
	}
	if starts != 1 {
		t.Errorf("%d agents started, want 1", starts)
	}
	stdinW.Close()
	agent.Close()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("hang guard (30 s): the host did not exit")
	}
}
