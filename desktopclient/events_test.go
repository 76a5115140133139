package desktopclient

import (
	"encoding/json"
	"testing"
)

func TestDecodeEvent(t *testing.T) {
	for _, tc := range []struct {
		method, params string
		want           Event
	}{
		{"desktop.attached", `{"attached":true,"agent":{"id":"a","name":"n","extension":"1"},"functions":["makeCall"]}`,
			Attached{Agent: Agent{ID: "a", Name: "n", Extension: "1"}, Functions: []string{"makeCall"}}},
		{"desktop.detached", `{"reason":"session-ended"}`, Detached{Reason: "session-ended"}},
		{"desktop.attached", `{"attached":true}`, nil},
		{"desktop.event", `{"params":{}}`, nil},
		{"helper.clientsChanged", `{"clients":2}`, nil},
	} {
		got := decodeEvent(tc.method, json.RawMessage(tc.params))
		if a, ok := got.(Attached); ok {
			w, _ := tc.want.(Attached)
			if a.Agent != w.Agent || len(a.Functions) != len(w.Functions) {
				t.Errorf("%s %s: %+v, want %+v", tc.method, tc.params, got, tc.want)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%s %s: %+v, want %+v", tc.method, tc.params, got, tc.want)
		}
	}
	if i, ok := decodeEvent("desktop.event", json.RawMessage(`{"event":"call.released","params":{"x":1}}`)).(Interaction); !ok || i.Event != "call.released" || string(i.Params) != `{"x":1}` {
		t.Errorf("desktop.event: %+v", i)
	}
	if h, ok := decodeEvent("call.state", json.RawMessage(`{"state":"ringing"}`)).(HelperEvent); !ok || h.Method != "call.state" {
		t.Errorf("call.state: %+v", h)
	}
}

// FuzzDecodeEvent: whatever the agent sends, decoding does not panic.
func FuzzDecodeEvent(f *testing.F) {
	f.Add("desktop.attached", []byte(`{"attached":true,"agent":{"id":"a"}}`))
	f.Add("desktop.event", []byte(`{"event":"call.initiated","params":{}}`))
	f.Add("desktop.detached", []byte(`{"reason":5}`))
	f.Add("quality.report", []byte(`null`))
	f.Fuzz(func(t *testing.T, method string, params []byte) {
		decodeEvent(method, json.RawMessage(params))
	})
}
