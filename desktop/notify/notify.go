// Package notify shows desktop notifications ("pop-ups") with buttons and
// reports what the user did with them. One small interface, Notifier,
// with a body per OS: the freedesktop notification service over D-Bus on
// Linux; on Windows a topmost pop-up window of our own (plain Win32, pure
// Go); macOS says why it is unavailable in this build.
// It knows nothing of calls or pages: the agent's popup service does.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ID names a notification shown by a Notifier.
type ID uint32

// Urgency is how insistent a notification is (the freedesktop levels).
type Urgency byte

// Urgency levels.
const (
	UrgencyLow      Urgency = 0
	UrgencyNormal   Urgency = 1
	UrgencyCritical Urgency = 2
)

// DefaultAction is the action key of a click on the notification's body
// (the freedesktop spec's "default").
const DefaultAction = "default"

// Action is one button: ID comes back in an ActionEvent, Label is shown.
type Action struct {
	ID    string
	Label string
}

// Notification is what Show puts on the screen. Title and Body are plain
// text: a server that renders markup gets them escaped.
type Notification struct {
	AppName string
	Title   string
	Body    string
	// Actions are the buttons, in order. An action with ID DefaultAction
	// is taken by a click on the body and shown as no button.
	Actions []Action
	// Timeout is how long the notification stays; 0 leaves it to the
	// server, a negative value asks it to stay until closed.
	Timeout time.Duration
	Urgency Urgency
	// Icon is an icon name of the desktop's theme ("call-start"), never a
	// path: the popup service only passes its built-in names.
	Icon string
}

// CloseReason says why a notification went away.
type CloseReason string

// Close reasons, as the API's popup.closed names them.
const (
	ClosedExpired   CloseReason = "expired"   // its timeout passed
	ClosedDismissed CloseReason = "dismissed" // the user closed it
	ClosedByCall    CloseReason = "closed"    // Close was called
	ClosedOther     CloseReason = "undefined" // the server did not say
)

// Event is something that happened to a notification: the user took an
// action (Action set), or it was closed (Closed set).
type Event struct {
	ID     ID
	Action string
	Closed CloseReason
}

// Capabilities are what the notification server can do.
type Capabilities struct {
	// Server names it ("dunst 1.9.0"), for helper.status.
	Server string
	// Actions: the server shows buttons and reports them. Without it a
	// notification is shown plain, and the page offers its own buttons.
	Actions bool
	// BodyMarkup: the server renders markup, so text is escaped.
	BodyMarkup bool
}

// Notifier shows notifications. Its methods are safe for concurrent use.
type Notifier interface {
	// Show puts n on the screen and returns its ID.
	Show(ctx context.Context, n Notification) (ID, error)
	// Close takes a notification off the screen; an Event with
	// ClosedByCall follows.
	Close(ctx context.Context, id ID) error
	// Events delivers actions and closes until Stop; it is closed then.
	Events() <-chan Event
	// Capabilities are the server's, learned when the Notifier opened.
	Capabilities() Capabilities
	// Stop ends the Notifier and its goroutines.
	Stop() error
}

// ErrUnavailable is returned by Open where this build or this desktop has
// no notification service; the error says why.
var ErrUnavailable = errors.New("desktop notifications are unavailable")

// unavailable wraps ErrUnavailable with why.
func unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnavailable, fmt.Sprintf(format, args...))
}

// Options configure Open.
type Options struct {
	// BusAddress is the D-Bus session bus to use (Linux); "" means the
	// user's own ($DBUS_SESSION_BUS_ADDRESS). Tests give a private one.
	BusAddress string
}

// Open connects to this desktop's notification service.
func Open(ctx context.Context, opts Options) (Notifier, error) { return open(ctx, opts) }
