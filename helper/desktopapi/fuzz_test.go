package desktopapi

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeParams feeds any params to every decoder of the broker: none
// may panic, and what one accepts stays within the documented bounds.
func FuzzDecodeParams(f *testing.F) {
	for _, seed := range []string{
		`{"agent":{"id":"a","name":"n","extension":"1"},"functions":["makeCall","nope"],"replace":true}`,
		`{"number":"+1555"}`, `{"voice":true}`, `{"screen":true,"voice":false}`,
		`{"requestId":"d1","result":{"x":1}}`, `{"requestId":"d1","error":{"code":5,"message":"m","data":[1]}}`,
		`{"event":"call.initiated","params":{"callId":"c"}}`, `{"event":"call.released","params":null}`,
		`null`, `{}`, `[]`, `{"agent":{"id":"\ud800"}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := json.RawMessage(data)
		if p, err := decodeAttach(raw); err == nil {
			if p.Agent.ID == "" || len(p.Agent.ID) > maxText || len(p.Functions) > len(Functions) {
				t.Fatalf("attach accepted %+v", p)
			}
		}
		if p, err := decodeMakeCall(raw); err == nil && (p.Number == "" || len(p.Number) > maxText) {
			t.Fatalf("makeCall accepted %+v", p)
		}
		if p, err := decodeRecording(raw); err == nil && !p.Voice && !p.Screen {
			t.Fatalf("recording accepted %+v", p)
		}
		if p, err := decodeRespond(raw); err == nil {
			if p.RequestID == "" || len(p.Result) > maxPayload || (p.Error != nil && len(p.Error.Message) > maxMessage) {
				t.Fatalf("respond accepted %+v", p)
			}
		}
		if p, err := decodePublish(raw); err == nil {
			if len(p.Params) > maxPayload || p.Params[0] != '{' {
				t.Fatalf("publish accepted %+v", p)
			}
		}
	})
}
