package monitorapi

import (
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// maxID bounds a monitorId or viewId; they name the stream in events.
const maxID = 64

// maxCandidate bounds an ICE candidate line (ours are about 100 bytes).
const maxCandidate = 1024

// checkID refuses an id that is empty, long, or not plain characters.
func checkID(field, id string) *jsonrpc.Error {
	if id == "" || len(id) > maxID {
		return jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: %s must be 1–%d characters", field, maxID)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: %s may hold letters, digits, '-', '_' and '.' only", field)
		}
	}
	return nil
}

func checkCandidate(c string) *jsonrpc.Error {
	if len(c) > maxCandidate {
		return jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: candidate is longer than %d bytes", maxCandidate)
	}
	return nil
}

type offerParams struct {
	MonitorID string `json:"monitorId"`
	FPS       int    `json:"fps"`
	MaxWidth  int    `json:"maxWidth"`
}

type answerParams struct {
	MonitorID string `json:"monitorId"`
	SDP       string `json:"sdp"`
}

type monitorCandidateParams struct {
	MonitorID string `json:"monitorId"`
	Candidate string `json:"candidate"`
}

type monitorIDParams struct {
	MonitorID string `json:"monitorId"`
}

type viewStartParams struct {
	ViewID string `json:"viewId"`
	SDP    string `json:"sdp"`
	// FPS caps the frame events (default and at most maxFrameEventFPS).
	FPS int `json:"fps"`
}

type viewCandidateParams struct {
	ViewID    string `json:"viewId"`
	Candidate string `json:"candidate"`
}

type viewIDParams struct {
	ViewID string `json:"viewId"`
}

type sdpResult struct {
	SDP string `json:"sdp"`
}

type stateEvent struct {
	State     string `json:"state"`
	MonitorID string `json:"monitorId,omitempty"`
	ViewID    string `json:"viewId,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

type candidateEvent struct {
	MonitorID string `json:"monitorId,omitempty"`
	ViewID    string `json:"viewId,omitempty"`
	Candidate string `json:"candidate"`
}

type frameEvent struct {
	ViewID string `json:"viewId"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	JPEG   string `json:"jpeg"` // base64
	// Time is when the helper decoded the picture, in Unix milliseconds
	// (a page can tell how late a frame event reaches it).
	Time int64 `json:"time"`
}
