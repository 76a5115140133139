package jsonrpc

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		in     string
		code   int    // 0: success
		id     string // id expected back ("" for none)
		method string
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{}}`, 0, "1", "helper.hello"},
		{`{"jsonrpc":"2.0","id":"a","method":"x"}`, 0, `"a"`, "x"},
		{`{"jsonrpc":"2.0","method":"ev","params":[1]}`, 0, "", "ev"},
		{`{"jsonrpc":"2.0","id":7,"result":{}}`, 0, "7", ""},
		{`{"jsonrpc":"2.0","id":null,"method":"x"}`, 0, "", "x"},
		{`not json`, CodeParseError, "", ""},
		{`{"jsonrpc":"2.0",`, CodeParseError, "", ""},
		{``, CodeParseError, "", ""},
		{`[{"jsonrpc":"2.0","id":1,"method":"x"}]`, CodeInvalidRequest, "", ""},
		{`42`, CodeInvalidRequest, "", ""},
		{`{"jsonrpc":"1.0","id":3,"method":"x"}`, CodeInvalidRequest, "3", ""},
		{`{"jsonrpc":"2.0","id":4}`, CodeInvalidRequest, "4", ""},
		{`{"jsonrpc":"2.0","id":5,"method":7}`, CodeInvalidRequest, "5", ""},
		{`{"jsonrpc":"2.0","id":{"x":1},"method":"x"}`, CodeInvalidRequest, "", ""},
		{`{"jsonrpc":"2.0","id":6,"method":"x","params":"str"}`, CodeInvalidRequest, "6", ""},
		{`{"jsonrpc":"2.0","id":8,"method":"x","result":1}`, CodeInvalidRequest, "8", ""},
	}
	for _, tt := range tests {
		m, id, rerr := Decode([]byte(tt.in))
		if tt.code == 0 {
			if rerr != nil {
				t.Errorf("Decode(%s): %v", tt.in, rerr)
				continue
			}
			if m.Method != tt.method || string(m.ID) != tt.id {
				t.Errorf("Decode(%s) = method %q id %s", tt.in, m.Method, m.ID)
			}
			continue
		}
		if rerr == nil || rerr.Code != tt.code {
			t.Errorf("Decode(%s) error = %v, want code %d", tt.in, rerr, tt.code)
		}
		if string(id) != tt.id {
			t.Errorf("Decode(%s) id = %s, want %q", tt.in, id, tt.id)
		}
	}
}

func TestErrorResponseShape(t *testing.T) {
	b := ErrorResponse(nil, Errorf(CodeHelloRequired, "hello required").WithData(map[string]any{"x": 1}))
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["id"] != nil || m["jsonrpc"] != "2.0" {
		t.Fatalf("bad envelope: %s", b)
	}
	e := m["error"].(map[string]any)
	if e["code"].(float64) != CodeHelloRequired {
		t.Fatalf("code = %v", e["code"])
	}
	// Data that cannot be encoded still yields an answer.
	b = ErrorResponse(json.RawMessage("1"), Errorf(CodeInternal, "x").WithData(make(chan int)))
	if !strings.Contains(string(b), `"code":-32603`) {
		t.Fatalf("lost the error: %s", b)
	}
}

func TestUnmarshalParams(t *testing.T) {
	var p struct {
		Name string `json:"name"`
	}
	if err := UnmarshalParams(json.RawMessage(`{"name":"a","extra":true}`), &p); err != nil || p.Name != "a" {
		t.Fatalf("got %v %q", err, p.Name)
	}
	if err := UnmarshalParams(nil, &p); err != nil {
		t.Fatalf("absent params: %v", err)
	}
	err := UnmarshalParams(json.RawMessage(`{"name":5}`), &p)
	if err == nil || err.Code != CodeInvalidParams || !strings.Contains(err.Message, `"name"`) {
		t.Fatalf("wrong type: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"helper.hello","params":{"client":"x","minHelperVersion":"0.1.0","pageOrigin":"https://a.example"}}`,
		`{"jsonrpc":"2.0","method":"helper.clientsChanged","params":{"clients":2}}`,
		`{"jsonrpc":"2.0","id":"z","error":{"code":-32001,"message":"no"}}`,
		`[1,2]`, `{"id":1e400}`, `{"jsonrpc":"2.0","id":-0,"method":""}`, "\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, id, rerr := Decode(data)
		if (m == nil) == (rerr == nil) {
			t.Fatalf("exactly one of message and error must be set: %v %v", m, rerr)
		}
		if rerr != nil {
			if rerr.Code != CodeParseError && rerr.Code != CodeInvalidRequest {
				t.Fatalf("unexpected code %d", rerr.Code)
			}
			// The answer must itself be valid JSON-RPC.
			if _, _, err := Decode(ErrorResponse(id, rerr)); err != nil {
				t.Fatalf("error answer does not decode: %v", err)
			}
			return
		}
		if m.JSONRPC != "2.0" {
			t.Fatalf("accepted jsonrpc %q", m.JSONRPC)
		}
		if m.Method == "" && m.Result == nil && m.Error == nil {
			t.Fatalf("accepted an object that is neither call nor response")
		}
		if m.ID != nil && !json.Valid(m.ID) {
			t.Fatalf("invalid id %q", m.ID)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	msg := []byte(`{"jsonrpc":"2.0","id":12,"method":"helper.hello","params":{"client":"agent-desktop","clientVersion":"5.1.0","minHelperVersion":"0.1.0","pageOrigin":"https://agent.example.com"}}`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
}
