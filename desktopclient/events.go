package desktopclient

import (
	"encoding/json"
	"strings"
)

// Event is one of Connection, Attached, Detached, Interaction, HelperEvent.
type Event interface{ desktopEvent() }

// Connection says the client reached the agent, or lost it and is
// reconnecting.
type Connection struct{ Connected bool }

// Agent is who is logged in to the Agent Desktop.
type Agent struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Extension string `json:"extension"`
}

// Attached: an Agent Desktop page attached (also sent after each
// connection when one already was).
type Attached struct {
	Agent     Agent
	Functions []string // what it answers: makeCall, pauseRecording, ...
}

// Detached: the page detached or closed ("detached", "session-ended").
type Detached struct{ Reason string }

// Interaction is what the Agent Desktop published: Event is
// call.initiated, call.incoming, call.released, recording.started,
// recording.stopped, recording.paused or recording.resumed.
type Interaction struct {
	Event  string
	Params json.RawMessage
}

// HelperEvent is one of the helper's own events (the softphone's phone.*, network.*,
// registration.*, call.* and quality.*), as docs/API.md describes it.
type HelperEvent struct {
	Method string
	Params json.RawMessage
}

func (Connection) desktopEvent()  {}
func (Attached) desktopEvent()    {}
func (Detached) desktopEvent()    {}
func (Interaction) desktopEvent() {}
func (HelperEvent) desktopEvent() {}

type sessionView struct {
	Attached  bool     `json:"attached"`
	Agent     *Agent   `json:"agent"`
	Functions []string `json:"functions"`
}

// decodeEvent turns an agent notification into an Event; nil for ones
// an application has no use for (the client list, policy changes) and
// for a desktop event that does not parse.
func decodeEvent(method string, params json.RawMessage) Event {
	switch method {
	case "desktop.attached":
		var s sessionView
		if json.Unmarshal(params, &s) != nil || s.Agent == nil {
			return nil
		}
		return Attached{Agent: *s.Agent, Functions: s.Functions}
	case "desktop.detached":
		var d struct {
			Reason string `json:"reason"`
		}
		if json.Unmarshal(params, &d) != nil {
			return nil
		}
		return Detached{Reason: d.Reason}
	case "desktop.event":
		var i struct {
			Event  string          `json:"event"`
			Params json.RawMessage `json:"params"`
		}
		if json.Unmarshal(params, &i) != nil || i.Event == "" {
			return nil
		}
		return Interaction{Event: i.Event, Params: i.Params}
	}
	for _, p := range []string{"phone.", "registration.", "call.", "quality.", "network."} {
		if strings.HasPrefix(method, p) {
			return HelperEvent{Method: method, Params: params}
		}
	}
	return nil
}
