package spool

import "time"

// EventKind says what happened to a segment.
type EventKind string

// The events of a spool.
const (
	EventUploaded EventKind = "uploaded" // the server took it (2xx)
	EventDropped  EventKind = "dropped"  // taken off the spool unsent: Reason says why
	EventRetry    EventKind = "retry"    // an attempt failed; the next comes after Delay
	// EventFailed: the recording cannot be uploaded (Reason); its
	// segments are discarded and the recorder should end it.
	EventFailed EventKind = "failed"
)

// Reasons of EventDropped and EventFailed (words pages see).
const (
	ReasonSpoolFull    = "spool-full"
	ReasonRejected     = "upload-rejected" // a 4xx other than 401/403/408/429, or a redirect: this segment only
	ReasonUnauthorized = "upload-unauthorized"
	ReasonNotAllowed   = "upload-not-allowed" // the host left the allow-list
)

// Event is one thing that happened to a recording's segments. It never
// carries the headers.
type Event struct {
	Kind        EventKind
	RecordingID string
	Segment     int
	Bytes       int64
	Reason      string
	Status      int           // the HTTP status, when there was one
	Attempt     int           // EventRetry: how many attempts failed in a row
	Delay       time.Duration // EventRetry: the wait before the next
	Err         error         // EventRetry: what went wrong (no header in it)
}
