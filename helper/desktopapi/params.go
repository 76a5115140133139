package desktopapi

import (
	"encoding/json"
	"slices"
	"unicode/utf8"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// Bounds on what either side may send: the page's answers and events go
// to every attached application, so one bad frame must stay small.
const (
	maxText      = 256      // an agent's id, name or extension, a number, a requestId
	maxFunctions = 32       // entries of desktop.attach's functions
	maxPayload   = 64 << 10 // a published event's params, a page's result
	maxMessage   = 1024     // a page's error message
)

// Functions are the app-side requests a page may offer (append-only).
var Functions = []string{"makeCall", "pauseRecording", "resumeRecording", "status"}

// Events are what a page may publish (append-only).
var Events = []string{
	"call.initiated", "call.incoming", "call.released",
	"recording.started", "recording.stopped", "recording.paused", "recording.resumed",
}

// Agent is who is logged in to the Agent Desktop.
type Agent struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	Extension string `json:"extension,omitempty"`
}

type attachParams struct {
	Agent     Agent    `json:"agent"`
	Functions []string `json:"functions"`
	Replace   bool     `json:"replace"`
}

func invalid(format string, args ...any) *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: "+format, args...)
}

// checkText refuses an over-long or non-UTF-8 string.
func checkText(field, v string, required bool) *jsonrpc.Error {
	switch {
	case required && v == "":
		return invalid("%s is required", field)
	case len(v) > maxText:
		return invalid("%s: at most %d bytes", field, maxText)
	case !utf8.ValidString(v):
		return invalid("%s: not UTF-8", field)
	}
	return nil
}

// decodeAttach validates desktop.attach; functions it does not know are
// dropped (a newer page with an older helper), the known kept in order.
func decodeAttach(raw json.RawMessage) (*attachParams, *jsonrpc.Error) {
	var p attachParams
	if err := jsonrpc.UnmarshalParams(raw, &p); err != nil {
		return nil, err
	}
	if err := checkText("agent.id", p.Agent.ID, true); err != nil {
		return nil, err
	}
	if err := checkText("agent.name", p.Agent.Name, false); err != nil {
		return nil, err
	}
	if err := checkText("agent.extension", p.Agent.Extension, false); err != nil {
		return nil, err
	}
	if len(p.Functions) > maxFunctions {
		return nil, invalid("functions: at most %d", maxFunctions)
	}
	known := make([]string, 0, len(p.Functions))
	for _, f := range p.Functions {
		if slices.Contains(Functions, f) && !slices.Contains(known, f) {
			known = append(known, f)
		}
	}
	p.Functions = known
	return &p, nil
}

type makeCallParams struct {
	Number string `json:"number"`
}

func decodeMakeCall(raw json.RawMessage) (*makeCallParams, *jsonrpc.Error) {
	var p makeCallParams
	if err := jsonrpc.UnmarshalParams(raw, &p); err != nil {
		return nil, err
	}
	if err := checkText("number", p.Number, true); err != nil {
		return nil, err
	}
	return &p, nil
}

type recordingParams struct {
	Voice  bool `json:"voice"`
	Screen bool `json:"screen"`
}

func decodeRecording(raw json.RawMessage) (*recordingParams, *jsonrpc.Error) {
	var p recordingParams
	if err := jsonrpc.UnmarshalParams(raw, &p); err != nil {
		return nil, err
	}
	if !p.Voice && !p.Screen {
		return nil, invalid("say which recording: voice, screen or both true")
	}
	return &p, nil
}

// pageError is a page's refusal of a request, passed on to the app.
type pageError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

type respondParams struct {
	RequestID string          `json:"requestId"`
	Result    json.RawMessage `json:"result"`
	Error     *pageError      `json:"error"`
}

func decodeRespond(raw json.RawMessage) (*respondParams, *jsonrpc.Error) {
	var p respondParams
	if err := jsonrpc.UnmarshalParams(raw, &p); err != nil {
		return nil, err
	}
	if err := checkText("requestId", p.RequestID, true); err != nil {
		return nil, err
	}
	hasResult := len(p.Result) > 0 && string(p.Result) != "null"
	switch {
	case hasResult == (p.Error != nil):
		return nil, invalid("give either result or error")
	case len(p.Result) > maxPayload:
		return nil, invalid("result: at most %d bytes", maxPayload)
	case p.Error != nil && p.Error.Code == 0:
		return nil, invalid("error.code is required")
	case p.Error != nil && (len(p.Error.Message) > maxMessage || !utf8.ValidString(p.Error.Message)):
		return nil, invalid("error.message: UTF-8, at most %d bytes", maxMessage)
	case p.Error != nil && len(p.Error.Data) > maxPayload:
		return nil, invalid("error.data: at most %d bytes", maxPayload)
	}
	return &p, nil
}

type publishParams struct {
	Event  string          `json:"event"`
	Params json.RawMessage `json:"params"`
}

func decodePublish(raw json.RawMessage) (*publishParams, *jsonrpc.Error) {
	var p publishParams
	if err := jsonrpc.UnmarshalParams(raw, &p); err != nil {
		return nil, err
	}
	if !slices.Contains(Events, p.Event) {
		return nil, invalid("event: %q is not one of the desktop API's events", truncate(p.Event))
	}
	if len(p.Params) > maxPayload {
		return nil, invalid("params: at most %d bytes", maxPayload)
	}
	if len(p.Params) == 0 || string(p.Params) == "null" {
		p.Params = json.RawMessage("{}")
	}
	if p.Params[0] != '{' {
		return nil, invalid("params: an object")
	}
	return &p, nil
}

// truncate keeps a caller's bad value short in an error message.
func truncate(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:64] + "…"
}
