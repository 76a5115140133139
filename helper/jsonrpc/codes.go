package jsonrpc

// The wire contract's error codes and the words of their data.reason,
// all in this one file (docs/API.md, "Errors", lists each; a test checks
// it). Both are appended to, never renumbered, reworded or given another
// meaning: pages branch on them.

// Error codes.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600 // also: a frame over the size limit
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602 // data.reason ReasonForbiddenPath, else none
	CodeInternal       = -32603

	CodeNotAllowed     = -32001 // origin or extension refused; data.reason, data.canAsk
	CodeUpdateRequired = -32002 // data.helperVersion, data.minHelperVersion
	CodeHelloRequired  = -32003
	CodeUnavailable    = -32004 // the host could not reach or start the agent
	CodePhone          = -32010 // a phone.* or call.* request failed; data.reason says why
	CodeAudio          = -32011 // an audio.* request failed; data.reason says why
	// CodeNoDesktopSession: a desktop application's request found no
	// Agent Desktop session to answer it; data.reason says why.
	CodeNoDesktopSession = -32012
	CodePopup            = -32013 // a popup.* request failed; data.reason says why
	CodePresence         = -32014 // a presence.* request failed; data.reason says why
	CodeScreen           = -32015 // a screen.* request failed; data.reason says why
)

// Reasons of CodeNotAllowed: why the agent (or the host for it) refuses
// a caller.
const (
	ReasonOriginNotHTTPS      = "origin-not-https"
	ReasonOriginNotAllowed    = "origin-not-allowed"
	ReasonOriginInvalid       = "origin-invalid"
	ReasonOriginChanged       = "origin-changed" // a second hello named another origin
	ReasonExtensionNotAllowed = "extension-not-allowed"
	ReasonPrivileged          = "privileged" // a page called a method of the extension's own UI
	ReasonAdminLocked         = "admin-locked"
	// ReasonOriginOpaque is the extension's own answer to a sandboxed
	// document (nativemsg/extension), which never reaches the agent.
	ReasonOriginOpaque = "origin-opaque"
)

// ReasonForbiddenPath is CodeInvalidParams' reason when a page names a
// file, or a local client a path that is not local.
const ReasonForbiddenPath = "forbidden-path"

// ReasonAgentUnavailable is CodeUnavailable's reason from the host.
const ReasonAgentUnavailable = "agent-unavailable"

// Reasons of CodePhone.
const (
	ReasonNotConfigured   = "not-configured"
	ReasonUnsupported     = "unsupported"
	ReasonNoSuchCall      = "no-such-call"
	ReasonWrongState      = "wrong-state"
	ReasonCallsInProgress = "calls-in-progress"
	ReasonSIPError        = "sip-error"
)

// Reasons of CodeAudio.
const (
	ReasonUnavailable = "unavailable" // no audio in this build or on this machine; of CodePopup and CodePresence too: no notification service, no idle source
	ReasonBusy        = "busy"        // a test already runs
)

// ReasonOtherOrigin, of CodePhone and CodeAudio: the phone (and so the
// sound devices) belong to another page origin or to the user's own
// clients, and this page may not use, replace or change them.
const ReasonOtherOrigin = "other-origin"

// ReasonNoSuchPopup, of CodePopup: no open pop-up of this caller has the
// popupId (another origin's are not told apart from none).
const ReasonNoSuchPopup = "no-such-popup"

// Reasons of CodeNoDesktopSession (docs/DESKTOP-API.md).
const (
	ReasonNotAttached  = "not-attached"  // no Agent Desktop page is attached
	ReasonProviderLeft = "provider-left" // the page detached before it answered
	ReasonTimeout      = "timeout"       // the page did not answer in time
	ReasonNotOffered   = "not-offered"   // the page does not offer this function
)

// Reasons of CodeNotAllowed from the desktop API.
const (
	ReasonAlreadyAttached = "already-attached" // another page is the Agent Desktop; attach with replace to take over
	ReasonDesktopAppOnly  = "desktop-app-only" // only a desktop application may call this method
	ReasonProviderOnly    = "provider-only"    // a desktop application called the Agent Desktop's own method
)

// Reasons of CodeScreen (ReasonUnavailable too: no capture or encoder in
// this build or on this desktop).
const (
	ReasonBadURL           = "bad-url"    // uploadUrl not https, or its host off the allow-list
	ReasonBadParams        = "bad-params" // fps, maxWidth, segmentSeconds, screens, headers out of bounds
	ReasonAlreadyRecording = "already-recording"
	ReasonNotRecording     = "not-recording"
)

// Reasons of CodeScreen from live monitoring (screen.monitor.*,
// screen.view.*); ReasonUnavailable, ReasonBusy and ReasonWrongState too.
const (
	ReasonNoSuchMonitor = "no-such-monitor" // no monitoring of this caller's origin has the monitorId
	ReasonNoSuchView    = "no-such-view"    // no view of this caller's origin has the viewId
	ReasonBadSDP        = "bad-sdp"         // the offer or answer cannot be applied
	ReasonBadCandidate  = "bad-candidate"   // the ICE candidate cannot be applied
)
