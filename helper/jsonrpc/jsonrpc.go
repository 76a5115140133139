// Package jsonrpc is the JSON-RPC 2.0 subset that bpclient speaks inside
// native-messaging frames: requests with an id, notifications without one
// (events), and responses. It has no transport and imports nothing of ours,
// so the host relay links it without the agent.
package jsonrpc

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Message is any JSON-RPC 2.0 object: a request (Method and ID), a
// notification (Method, no ID) or a response (ID and Result or Error).
type Message struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
}

// IsRequest reports whether m expects an answer.
func (m *Message) IsRequest() bool { return m.Method != "" && m.ID != nil }

// IsNotification reports whether m is a method call without an id.
func (m *Message) IsNotification() bool { return m.Method != "" && m.ID == nil }

// Error is a JSON-RPC error object; it is also a Go error.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("jsonrpc error %d: %s", e.Code, e.Message) }

// Errorf builds an *Error with a formatted message.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithData returns a copy of e carrying data.
func (e *Error) WithData(data any) *Error {
	c := *e
	c.Data = data
	return &c
}

// Decode parses one frame's payload. On failure it returns the error to
// send back and, when the payload was an object with a usable id, that id
// (so the answer can name the request); otherwise the id is null.
func Decode(payload []byte) (*Message, json.RawMessage, *Error) {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		if json.Valid(trimmed) {
			return nil, nil, Errorf(CodeInvalidRequest, "invalid request: a frame must hold one JSON-RPC object (batches are not supported)")
		}
		return nil, nil, Errorf(CodeParseError, "parse error: not valid JSON")
	}
	var m Message
	if err := json.Unmarshal(trimmed, &m); err != nil {
		if !json.Valid(trimmed) {
			return nil, nil, Errorf(CodeParseError, "parse error: not valid JSON")
		}
		// Valid JSON with members of the wrong type: try to keep the id.
		var probe struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(trimmed, &probe)
		return nil, validID(probe.ID), Errorf(CodeInvalidRequest, "invalid request: %s", typeErrorText(err))
	}
	id := validID(m.ID)
	if m.ID != nil && id == nil && !bytes.Equal(bytes.TrimSpace(m.ID), null) {
		return nil, nil, Errorf(CodeInvalidRequest, "invalid request: id must be a string or a number")
	}
	if m.JSONRPC != "2.0" {
		return nil, id, Errorf(CodeInvalidRequest, `invalid request: "jsonrpc" must be "2.0"`)
	}
	isResponse := m.Result != nil || m.Error != nil
	switch {
	case m.Method == "" && !isResponse:
		return nil, id, Errorf(CodeInvalidRequest, `invalid request: "method" is missing`)
	case m.Method != "" && isResponse:
		return nil, id, Errorf(CodeInvalidRequest, `invalid request: a request cannot carry "result" or "error"`)
	}
	if len(m.Params) > 0 {
		if p := bytes.TrimSpace(m.Params); p[0] != '{' && p[0] != '[' && !bytes.Equal(p, []byte("null")) {
			return nil, id, Errorf(CodeInvalidRequest, `invalid request: "params" must be an object or an array`)
		}
	}
	m.ID = id
	return &m, id, nil
}

// validID returns raw when it is a JSON string or number, else nil.
// A JSON null id is treated as absent.
func validID(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	switch c := raw[0]; {
	case c == '"', c == '-', c >= '0' && c <= '9':
		return raw
	}
	return nil
}

func typeErrorText(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Sprintf("%q has the wrong type (%s)", te.Field, te.Value)
	}
	return "malformed object"
}

// Response encodes an answer to the request with the given id.
func Response(id json.RawMessage, result any) ([]byte, error) {
	r, err := json.Marshal(result)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return json.Marshal(&Message{JSONRPC: "2.0", ID: idOrNull(id), Result: r})
}

// ErrorResponse encodes an error answer; a nil id becomes null.
func ErrorResponse(id json.RawMessage, e *Error) []byte {
	b, err := json.Marshal(&Message{JSONRPC: "2.0", ID: idOrNull(id), Error: e})
	if err != nil {
		// Data that cannot be encoded is dropped rather than losing the answer.
		b, _ = json.Marshal(&Message{JSONRPC: "2.0", ID: idOrNull(id), Error: &Error{Code: e.Code, Message: e.Message}})
	}
	return b
}

// Notification encodes an event or a call that wants no answer.
func Notification(method string, params any) ([]byte, error) {
	var p json.RawMessage
	if params != nil {
		var err error
		if p, err = json.Marshal(params); err != nil {
			return nil, fmt.Errorf("encode %s params: %w", method, err)
		}
	}
	return json.Marshal(&Message{JSONRPC: "2.0", Method: method, Params: p})
}

// Request encodes a call with an id.
func Request(id any, method string, params any) ([]byte, error) {
	rawID, err := json.Marshal(id)
	if err != nil {
		return nil, fmt.Errorf("encode id: %w", err)
	}
	var p json.RawMessage
	if params != nil {
		if p, err = json.Marshal(params); err != nil {
			return nil, fmt.Errorf("encode %s params: %w", method, err)
		}
	}
	return json.Marshal(&Message{JSONRPC: "2.0", ID: rawID, Method: method, Params: p})
}

var null = json.RawMessage("null")

func idOrNull(id json.RawMessage) json.RawMessage {
	if id == nil {
		return null
	}
	return id
}

// UnmarshalParams decodes params into v and turns failures into an
// invalid-params error that names the problem. Unknown members are ignored
// so that a newer page can talk to an older helper.
func UnmarshalParams(params json.RawMessage, v any) *Error {
	if len(params) == 0 || bytes.Equal(bytes.TrimSpace(params), null) {
		params = json.RawMessage("{}")
	}
	if err := json.Unmarshal(params, v); err != nil {
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			return Errorf(CodeInvalidParams, "invalid params: %q must be %s, not %s", te.Field, te.Type.Kind(), te.Value)
		}
		return Errorf(CodeInvalidParams, "invalid params: %v", err)
	}
	return nil
}
