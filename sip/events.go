package sip

// Event names, as the API publishes them.
const (
	EventRegistrationState = "registration.state"
	EventCallIncoming      = "call.incoming"
	EventCallState         = "call.state"
	EventQualityReport     = "quality.report"
	EventQualityWarning    = "quality.warning"
	EventNetworkIssue      = "network.issue"
)

// Registration states.
const (
	Registered   = "registered"
	Unregistered = "unregistered"
	Failed       = "failed"
	Lost         = "lost"
)

// RegistrationState is the payload of registration.state.
type RegistrationState struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	// Server is the server that answered (host:port), when known.
	Server string `json:"server,omitempty"`
	// Expires is the binding's lifetime the server granted, in seconds.
	Expires int `json:"expires,omitempty"`
}

// IncomingCall is the payload of call.incoming.
type IncomingCall struct {
	CallID      string `json:"callId"`
	From        string `json:"from"`
	DisplayName string `json:"displayName,omitempty"`
}

// Call states.
const (
	StateDialing    = "dialing"
	StateRinging    = "ringing"
	StateEarly      = "early"
	StateConnected  = "connected"
	StateHeld       = "held"
	StateRemoteHeld = "remoteHeld"
	StateEnded      = "ended"
)

// CallState is the payload of call.state.
type CallState struct {
	CallID    string `json:"callId"`
	Direction string `json:"direction"` // "outbound" | "inbound"
	State     string `json:"state"`
	Reason    string `json:"reason,omitempty"`
	Remote    string `json:"remote,omitempty"`
	Codec     string `json:"codec,omitempty"`
	Muted     bool   `json:"muted,omitempty"`
	// Secure is true when the call's media is SRTP (secure mode); Suite
	// names the SRTP crypto suite in use and Keying how its keys were
	// agreed: "sdes" (a=crypto) or "dtls" (DTLS-SRTP).
	Secure bool   `json:"secure,omitempty"`
	Suite  string `json:"suite,omitempty"`
	Keying string `json:"keying,omitempty"`
	// TransferredFrom is the callId of the call whose remote transferred
	// us here (a REFER we accepted); Replaces the callId of the call this
	// one replaced (an INVITE with Replaces, RFC 3891).
	TransferredFrom string `json:"transferredFrom,omitempty"`
	Replaces        string `json:"replaces,omitempty"`
}

// EventFunc receives the phone's events. It is called from the phone's
// goroutines and must not block for long.
type EventFunc func(name string, params any)
