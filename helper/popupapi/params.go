package popupapi

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// Caps on what a page may put on the screen: enough for a caller's name
// and a line or two, not enough to fill it.
const (
	maxTitle      = 100 // runes
	maxBody       = 500 // runes
	maxLabel      = 32  // runes
	maxActions    = 3
	maxTag        = 64 // bytes
	maxTimeoutSec = 3600
	minTimeout    = 100 * time.Millisecond
)

// builtinIcons are the icons a page may name, mapped to the desktop
// theme's names. Nothing else: never a path, and not yet a URL of the
// page's origin (that needs the agent to fetch and check an image). An
// array, not a map: a map literal is built by the package's initialiser
// in every process that links it (BENCHMARKS.md, the idle agent's
// memory), an array of constants is data in the executable.
var builtinIcons = [...]struct{ name, theme string }{
	{"call", callIcon},
	{"chat", "mail-message-new"},
	{"info", "dialog-information"},
	{"warning", "dialog-warning"},
	{"error", "dialog-error"},
}

// callIcon is the incoming call's pop-up icon, the built-in "call".
const callIcon = "call-start"

// builtinIcon is the theme's name of a built-in icon.
func builtinIcon(name string) (string, bool) {
	for _, i := range builtinIcons {
		if i.name == name {
			return i.theme, true
		}
	}
	return "", false
}

// urgencyOf is popup.show's urgency; none is normal.
func urgencyOf(s string) (notify.Urgency, bool) {
	switch s {
	case "", "normal":
		return notify.UrgencyNormal, true
	case "low":
		return notify.UrgencyLow, true
	case "critical":
		return notify.UrgencyCritical, true
	}
	return 0, false
}

// actionID is what a button's id may be: it comes back in popup.action.
// Compiled at its first use, not when the process starts.
var actionID struct {
	once sync.Once
	re   *regexp.Regexp
}

func validActionID(id string) bool {
	actionID.once.Do(func() { actionID.re = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`) })
	return actionID.re.MatchString(id)
}

type actionParam struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

type showParams struct {
	Tag            string        `json:"tag"`
	Title          string        `json:"title"`
	Body           string        `json:"body"`
	Actions        []actionParam `json:"actions"`
	TimeoutSeconds float64       `json:"timeoutSeconds"`
	Urgency        string        `json:"urgency"`
	Icon           string        `json:"icon"`
}

// request is a checked popup.show: what the notifier gets, and the tag.
type request struct {
	tag  string
	note notify.Notification
}

func invalid(format string, args ...any) *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: "+format, args...)
}

// parseShow checks popup.show's params. Text becomes plain text within
// the caps; a click on the body is always the action "default".
func parseShow(raw json.RawMessage) (request, *jsonrpc.Error) {
	var p showParams
	if err := jsonrpc.UnmarshalParams(raw, &p); err != nil {
		return request{}, err
	}
	if len(p.Tag) > maxTag || !utf8.ValidString(p.Tag) {
		return request{}, invalid("tag: at most %d bytes of UTF-8", maxTag)
	}
	title := strings.TrimSpace(notify.PlainText(p.Title, maxTitle))
	if title == "" {
		return request{}, invalid(`"title" is required`)
	}
	if len(p.Actions) > maxActions {
		return request{}, invalid("actions: at most %d", maxActions)
	}
	note := notify.Notification{AppName: "BPClient", Title: title, Body: notify.PlainText(p.Body, maxBody),
		Actions: []notify.Action{{ID: notify.DefaultAction, Label: "Open"}}}
	seen := map[string]bool{notify.DefaultAction: true}
	for i, a := range p.Actions {
		if !validActionID(a.ID) || seen[a.ID] {
			return request{}, invalid("actions[%d].id %q: 1 to 32 of A-Z a-z 0-9 _ . -, not %q, each once", i, a.ID, notify.DefaultAction)
		}
		seen[a.ID] = true
		label := strings.TrimSpace(notify.PlainText(strings.ReplaceAll(a.Label, "\n", " "), maxLabel))
		if label == "" {
			return request{}, invalid("actions[%d].label is required", i)
		}
		note.Actions = append(note.Actions, notify.Action{ID: a.ID, Label: label})
	}
	switch {
	case p.TimeoutSeconds < 0 || p.TimeoutSeconds > maxTimeoutSec || p.TimeoutSeconds != p.TimeoutSeconds:
		return request{}, invalid("timeoutSeconds: 0 (until closed) to %d", maxTimeoutSec)
	case p.TimeoutSeconds == 0:
		note.Timeout = -1
	default:
		note.Timeout = max(time.Duration(p.TimeoutSeconds*float64(time.Second)), minTimeout)
	}
	u, ok := urgencyOf(p.Urgency)
	if !ok {
		return request{}, invalid("urgency %q (want low, normal or critical)", p.Urgency)
	}
	note.Urgency = u
	if p.Icon != "" {
		icon, ok := builtinIcon(p.Icon)
		if !ok {
			err := invalid("icon %q: only the built-in icons call, chat, info, warning, error", p.Icon)
			if strings.ContainsAny(p.Icon, `/\:`) {
				err = err.WithData(map[string]string{"reason": jsonrpc.ReasonForbiddenPath})
			}
			return request{}, err
		}
		note.Icon = icon
	}
	return request{tag: p.Tag, note: note}, nil
}

// callNote is the pop-up of an incoming call.
func callNote(from, displayName string) notify.Notification {
	who := notify.PlainText(displayName, maxTitle)
	number := notify.PlainText(from, maxTitle)
	if who == "" {
		who = number
	}
	return notify.Notification{AppName: "BPClient", Title: fmt.Sprintf("Incoming call: %s", who), Body: number,
		Actions: []notify.Action{{ID: notify.DefaultAction, Label: "Open"}, {ID: ActionAnswer, Label: "Answer"}, {ID: ActionDecline, Label: "Decline"}},
		Timeout: -1, Urgency: notify.UrgencyCritical, Icon: callIcon}
}
