// Package screenproxy runs screen recording and live monitoring in a
// process of their own, bpclient-screen (the worker), so that the agent
// links neither libvpx nor pion's WebRTC and a crash of either takes no
// call down with it.
//
// The agent registers a Proxy: it owns every screen.* method name and
// the helper.status entries "screen", "screenLive" and "screenCapture",
// starts the worker on the first request that needs it (and at start
// when the upload spool holds segments), forwards each request with its
// caller, forwards closed sessions, and publishes the worker's events
// through the agent's SessionSender and AudienceBroadcaster exactly as
// the services would. The worker (Worker, in bpclient-screen) runs the
// services unchanged and says when it has been idle; the proxy then ends
// it.
//
// The two speak the native-messaging framing (nativemsg) of JSON-RPC
// messages (helper/jsonrpc) over the worker's stdin and stdout; the
// worker's log lines come on its stderr.
package screenproxy

import (
	"encoding/json"

	"github.com/openbpclient/bpclient/helper/agent"
)

// Program is the worker's name, beside bpclient.
const Program = "bpclient-screen"

// The messages of the agent to the worker besides the screen.* requests.
const (
	// methodStatus asks a service's helper.status entry for a caller:
	// params statusParams, result its entry.
	methodStatus = "worker.status"
	// methodSessionClosed tells that a session has closed (a
	// notification, params Caller): what it started stops.
	methodSessionClosed = "worker.sessionClosed"
	// methodDesktopPause and methodDesktopResume are the desktop API's
	// pause and resume of the recording: result desktopResult.
	methodDesktopPause  = "worker.desktopPause"
	methodDesktopResume = "worker.desktopResume"
)

// The notifications of the worker to the agent.
const (
	// methodReady: the worker serves (params readyParams).
	methodReady = "worker.ready"
	// methodEvent: an event for a session or an audience (eventParams).
	methodEvent = "worker.event"
	// methodIdle: nothing has recorded, monitored, viewed or waited in
	// the spool for the worker's idle time; the agent may end it.
	methodIdle = "worker.idle"
)

// Caller is an agent.Call's caller, as the worker makes the call again.
type Caller struct {
	Kind          string `json:"kind"`
	PageOrigin    string `json:"pageOrigin,omitempty"`
	SessionID     string `json:"sessionId,omitempty"`
	DesktopApp    bool   `json:"desktopApp,omitempty"`
	Client        string `json:"client,omitempty"`
	ClientVersion string `json:"clientVersion,omitempty"`
}

// CallerOf is c's caller.
func CallerOf(c *agent.Call) Caller {
	return Caller{Kind: c.Kind, PageOrigin: c.PageOrigin, SessionID: c.SessionID, DesktopApp: c.DesktopApp, Client: c.Client, ClientVersion: c.ClientVersion}
}

// Call is the call of c with params.
func (c Caller) Call(params json.RawMessage) *agent.Call {
	return &agent.Call{Params: params, Kind: c.Kind, PageOrigin: c.PageOrigin, SessionID: c.SessionID, DesktopApp: c.DesktopApp,
		Client: c.Client, ClientVersion: c.ClientVersion}
}

// request is the params of a forwarded screen.* request.
type request struct {
	Caller Caller          `json:"caller"`
	Params json.RawMessage `json:"params,omitempty"`
}

type statusParams struct {
	Service string  `json:"service"`
	Caller  *Caller `json:"caller,omitempty"` // nil: Status, not StatusFor
}

type readyParams struct {
	// Capabilities are the worker's services' helper.hello capabilities.
	Capabilities []string `json:"capabilities"`
}

// eventParams is an event for one session (Session set) or an audience.
type eventParams struct {
	Session  string          `json:"session,omitempty"`
	Origin   string          `json:"origin,omitempty"`
	AllPages bool            `json:"allPages,omitempty"`
	Event    string          `json:"event"`
	Params   json.RawMessage `json:"params,omitempty"`
}

type desktopResult struct {
	Done bool `json:"done"`
}
