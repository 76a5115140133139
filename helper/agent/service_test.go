package agent

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
)

type echoService struct{ calls []*Call }

func (e *echoService) Name() string           { return "echo" }
func (e *echoService) Capabilities() []string { return []string{"echo"} }
func (e *echoService) Status() any            { return map[string]int{"calls": len(e.calls)} }
func (e *echoService) Methods() map[string]Method {
	return map[string]Method{
		"echo.say": func(ctx context.Context, c *Call) (any, *jsonrpc.Error) {
			var p struct {
				Text string `json:"text"`
			}
			if err := c.Decode(&p); err != nil {
				return nil, err
			}
			e.calls = append(e.calls, c)
			return map[string]string{"text": p.Text, "kind": c.Kind}, nil
		},
	}
}

type badService struct{ echoService }

func (b *badService) Name() string { return "bad" }
func (b *badService) Methods() map[string]Method {
	return map[string]Method{"helper.hello": nil}
}

func TestServiceRegistration(t *testing.T) {
	srv := New(Options{Policy: &policy.Store{}, Logger: zerolog.Nop()})
	if err := srv.Register(&echoService{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(&echoService{}); err == nil {
		t.Fatal("registered the same service twice")
	}
	if err := srv.Register(&badService{}); err == nil {
		t.Fatal("a service took over helper.hello")
	}
}

func TestServiceMethodsAndStatus(t *testing.T) {
	e := startAgentWith(t, &echoService{})
	c := e.dial(t)
	identify(t, c, ourExt)
	wantCode(t, "before hello", call(t, c, "echo.say", nil, nil), jsonrpc.CodeHelloRequired)
	var hello helloResult
	if err := call(t, c, "helper.hello", map[string]any{"pageOrigin": "https://agent.example.test"}, &hello); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(hello.Capabilities, "echo") || !slices.Contains(hello.Capabilities, "events") {
		t.Fatalf("capabilities %v", hello.Capabilities)
	}
	var got map[string]string
	if err := call(t, c, "echo.say", map[string]string{"text": "hi"}, &got); err != nil {
		t.Fatal(err)
	}
	if got["text"] != "hi" || got["kind"] != kindPage {
		t.Fatalf("echo.say = %v", got)
	}
	wantCode(t, "bad params", call(t, c, "echo.say", map[string]int{"text": 1}, nil), jsonrpc.CodeInvalidParams)
	var st map[string]json.RawMessage
	if err := call(t, c, "helper.status", nil, &st); err != nil {
		t.Fatal(err)
	}
	if string(st["echo"]) != `{"calls":1}` || st["clients"] == nil {
		t.Fatalf("status %v", st)
	}
}
