// Package popupapi is the agent's "popup" service: popup.show and
// popup.close put desktop notifications on the screen for a page, and the
// user's answer (popup.action, popup.closed) goes back to the session that
// showed it, or, when that page has gone (a reload), to the next session
// of its origin that says hello. It also shows the pop-ups of incoming
// calls for the phone (phoneapi.IncomingPopups), whose Answer and Decline
// act on the call in the agent.
package popupapi

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/desktop/notify"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// Event names and the actions of a call's pop-up.
const (
	EventAction   = "popup.action"
	EventClosed   = "popup.closed"
	ActionAnswer  = "answer"
	ActionDecline = "decline"
	reasonReplace = "replaced"
)

// defaultMaxPerPage is how many pop-ups one page may have open at once;
// a further one replaces its oldest.
const defaultMaxPerPage = 3

// maxPending bounds the events kept for an origin whose page has gone.
const maxPending = 32

// Server is what the service needs of the agent: events to one session,
// to an audience, and whether a session is still there.
type Server interface {
	agent.SessionSender
	agent.AudienceBroadcaster
	HasSession(id string) bool
}

// Options configure the service.
type Options struct {
	Logger zerolog.Logger
	// Notifier shows the pop-ups; nil: there is none (Unavailable says
	// why) and popup.show fails with reason unavailable.
	Notifier    notify.Notifier
	Unavailable error
	// Open opens the notifier again while there is none: the
	// notification server may start after the agent (a session's dunst
	// or notification daemon comes up late). Tried on the next pop-up, at
	// most once a second; nil: never.
	Open   func(ctx context.Context) (notify.Notifier, error)
	Server Server
	// AfterFunc is the clock of the expiry fallback; nil: time.AfterFunc.
	AfterFunc  func(d time.Duration, f func()) (stop func() bool)
	MaxPerPage int
}

// popup is one open pop-up.
type popup struct {
	id      string
	nid     notify.ID
	tag     string
	owner   owner
	shown   time.Time
	expire  func() bool  // stops the expiry fallback; nil without one
	call    *callActions // set for an incoming call's pop-up
	actions bool         // the server shows its buttons
}

// owner is who hears a pop-up's events: a session, and its origin for
// when that session has gone ("" for the user's own clients).
type owner struct {
	session string
	origin  string
	page    bool
}

func ownerOf(c *agent.Call) owner {
	o := owner{session: c.SessionID, page: c.Kind == "page"}
	if o.page {
		o.origin = c.PageOrigin
	}
	return o
}

type pendingEvent struct {
	name   string
	params any
}

// Service implements agent.Service.
type Service struct {
	opts Options
	log  zerolog.Logger

	mu      sync.Mutex
	next    int
	byID    map[string]*popup
	byNID   map[notify.ID]*popup
	pending map[originKey][]pendingEvent // by origin key: events for a page that has gone

	notifierState // the notifier, which Options.Open may bring later

	stop chan struct{}
	wg   sync.WaitGroup // the event pump and the call actions it starts
}

// New starts the service; Close stops it.
func New(opts Options) *Service {
	if opts.AfterFunc == nil {
		opts.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if opts.MaxPerPage <= 0 {
		opts.MaxPerPage = defaultMaxPerPage
	}
	s := &Service{opts: opts, log: opts.Logger.With().Str("svc", "popup").Logger(),
		byID: map[string]*popup{}, byNID: map[notify.ID]*popup{}, pending: map[originKey][]pendingEvent{},
		stop: make(chan struct{})}
	s.notifierState = notifierState{n: opts.Notifier, unavailableErr: opts.Unavailable}
	if opts.Notifier != nil {
		s.startPump(opts.Notifier)
	}
	return s
}

func (s *Service) startPump(n notify.Notifier) {
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.pump(n) }()
}

// Close stops the service and the notifier, after the call actions under
// way have ended.
func (s *Service) Close() {
	close(s.stop)
	if n := s.closeNotifier(); n != nil {
		_ = n.Stop()
	}
	s.wg.Wait()
}

// Name implements agent.Service.
func (s *Service) Name() string { return "popup" }

// Capabilities implements agent.Service: "popup" when pop-ups can be
// shown, "popup-actions" when they have buttons.
func (s *Service) Capabilities() []string {
	n := s.notifier()
	if n == nil {
		return nil
	}
	caps := []string{"popup"}
	if n.Capabilities().Actions {
		caps = append(caps, "popup-actions")
	}
	return caps
}

// Methods implements agent.Service.
func (s *Service) Methods() map[string]agent.Method {
	return map[string]agent.Method{"popup.show": s.show, "popup.close": s.close}
}

type status struct {
	Available  bool   `json:"available"`
	Reason     string `json:"reason,omitempty"`
	Server     string `json:"server,omitempty"`
	Actions    bool   `json:"actions"`
	BodyMarkup bool   `json:"bodyMarkup"`
	Open       int    `json:"open"`
}

// Status implements agent.Service.
func (s *Service) Status() any {
	n, why := s.notifierAndWhy()
	if n == nil {
		st := status{Reason: "no notification service"}
		if why != nil {
			st.Reason = why.Error()
		}
		return st
	}
	c := n.Capabilities()
	s.mu.Lock()
	open := len(s.byID)
	s.mu.Unlock()
	return status{Available: true, Server: c.Server, Actions: c.Actions, BodyMarkup: c.BodyMarkup, Open: open}
}

func popupErr(reason, format string, args ...any) *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.CodePopup, format, args...).WithData(map[string]string{"reason": reason})
}

func (s *Service) unavailable() *jsonrpc.Error {
	why := "no notification service"
	if _, err := s.notifierAndWhy(); err != nil {
		why = err.Error()
	}
	return popupErr(jsonrpc.ReasonUnavailable, "pop-ups are unavailable: %s", why)
}

type showResult struct {
	PopupID string `json:"popupId"`
	// Actions: the buttons are on the screen; without them the page
	// offers its own.
	Actions bool `json:"actions"`
}

func (s *Service) show(ctx context.Context, call *agent.Call) (any, *jsonrpc.Error) {
	req, jerr := parseShow(call.Params)
	if jerr != nil {
		return nil, jerr
	}
	if s.ensureNotifier(ctx) == nil {
		return nil, s.unavailable()
	}
	o := ownerOf(call)
	req.note.AppName = appNameFor(o)
	p, err := s.open(ctx, req.note, req.tag, o, nil)
	if err != nil {
		s.log.Warn().Err(err).Str("session", call.SessionID).Msg("popup.show failed")
		return nil, popupErr(jsonrpc.ReasonUnavailable, "the pop-up could not be shown: %v", err)
	}
	s.log.Info().Str("popup", p.id).Str("session", call.SessionID).Str("tag", req.tag).Msg("pop-up shown")
	return showResult{PopupID: p.id, Actions: p.actions}, nil
}

// open shows note for o, first replacing o's pop-up of the same tag and,
// for a page at its limit, its oldest.
func (s *Service) open(ctx context.Context, note notify.Notification, tag string, o owner, ca *callActions) (*popup, error) {
	for _, old := range s.toReplace(tag, o) {
		s.finish(old, reasonReplace)
	}
	n := s.notifier()
	if n == nil {
		return nil, errNoNotifier
	}
	nid, err := n.Show(ctx, note)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	// A pop-up that still holds this ID is stale: the server restarted
	// (its IDs start again) and took it off the screen without a word.
	// It must not keep the ID, or closing it would close the new one.
	stale := s.byNID[nid]
	if stale != nil {
		s.dropLocked(stale)
	}
	s.next++
	p := &popup{id: fmt.Sprintf("p%d", s.next), nid: nid, tag: tag, owner: o, shown: time.Now(), call: ca,
		actions: n.Capabilities().Actions}
	s.byID[p.id], s.byNID[nid] = p, p
	if note.Timeout > 0 {
		// Servers that ignore the timeout (some do) still lose it: a
		// second after the server should have closed it, we do.
		p.expire = s.opts.AfterFunc(note.Timeout+time.Second, func() {
			if q := s.lookup(p.id); q != nil {
				s.finish(q, string(notify.ClosedExpired))
			}
		})
	}
	s.mu.Unlock()
	if stale != nil {
		s.log.Info().Str("popup", stale.id).Msg("the notification server forgot a pop-up (restarted?)")
		s.tell(stale, EventClosed, closedEvent{PopupID: stale.id, Tag: stale.tag, Reason: string(notify.ClosedByCall)})
	}
	return p, nil
}

// toReplace are the pop-ups that a new one of o with tag replaces.
func (s *Service) toReplace(tag string, o owner) []*popup {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*popup
	var mine []*popup
	for _, p := range s.byID {
		if p.call != nil || p.owner.origin != o.origin || p.owner.page != o.page {
			continue
		}
		if tag != "" && p.tag == tag {
			out = append(out, p)
			continue
		}
		if p.owner.session == o.session {
			mine = append(mine, p)
		}
	}
	if !o.page {
		return out
	}
	for len(mine) >= s.opts.MaxPerPage {
		oldest := 0
		for i, p := range mine {
			if p.shown.Before(mine[oldest].shown) || (p.shown.Equal(mine[oldest].shown) && p.nid < mine[oldest].nid) {
				oldest = i
			}
		}
		out = append(out, mine[oldest])
		mine = append(mine[:oldest], mine[oldest+1:]...)
	}
	return out
}

func (s *Service) lookup(id string) *popup {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}

type closeParams struct {
	PopupID string `json:"popupId"`
}

func (s *Service) close(ctx context.Context, call *agent.Call) (any, *jsonrpc.Error) {
	var cp closeParams
	if err := call.Decode(&cp); err != nil {
		return nil, err
	}
	p := s.lookup(cp.PopupID)
	if p == nil || p.call != nil || !mayClose(call, p.owner) {
		return nil, popupErr(jsonrpc.ReasonNoSuchPopup, "no open pop-up %q", cp.PopupID)
	}
	s.finish(p, string(notify.ClosedByCall))
	return map[string]bool{"closed": true}, nil
}

// appNameFor names who shows a pop-up, where the desktop shows the
// sending application (GNOME, KDE): a page's pop-up carries its host, so
// that a site cannot pass its pop-ups off as the system's or another's.
func appNameFor(o owner) string {
	if u, err := url.Parse(o.origin); err == nil && o.page && u.Host != "" {
		return "BPClient · " + u.Host
	}
	return "BPClient"
}

// mayClose: a page closes the pop-ups of its origin, the user's own
// clients theirs.
func mayClose(c *agent.Call, o owner) bool {
	return ownerOf(c).origin == o.origin && (c.Kind == "page") == o.page
}

// finish takes p off the screen for reason (replaced, expired, closed)
// and tells its owner. A pop-up finishes once: the server's own
// NotificationClosed for it then finds nothing.
func (s *Service) finish(p *popup, reason string) {
	if !s.forget(p) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n := s.notifier(); n == nil {
		s.log.Debug().Str("popup", p.id).Msg("close pop-up: no notifier")
	} else if err := n.Close(ctx, p.nid); err != nil {
		s.log.Debug().Err(err).Str("popup", p.id).Msg("close pop-up")
	}
	s.tell(p, EventClosed, closedEvent{PopupID: p.id, Tag: p.tag, Reason: reason})
}

// forget removes p and reports whether it was still open.
func (s *Service) forget(p *popup) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[p.id] != p {
		return false
	}
	s.dropLocked(p)
	return true
}

func (s *Service) dropLocked(p *popup) {
	delete(s.byID, p.id)
	if s.byNID[p.nid] == p {
		delete(s.byNID, p.nid)
	}
	if p.expire != nil {
		p.expire()
	}
}

type actionEvent struct {
	PopupID string `json:"popupId"`
	Tag     string `json:"tag"`
	Action  string `json:"action"`
}

type closedEvent struct {
	PopupID string `json:"popupId"`
	Tag     string `json:"tag"`
	Reason  string `json:"reason"`
}

// pump handles what the user does with the pop-ups until Close.
func (s *Service) pump(n notify.Notifier) {
	for {
		select {
		case <-s.stop:
			return
		case ev, ok := <-n.Events():
			if !ok {
				return
			}
			s.handle(ev)
		}
	}
}

func (s *Service) handle(ev notify.Event) {
	s.mu.Lock()
	p := s.byNID[ev.ID]
	s.mu.Unlock()
	if p == nil {
		return // not ours, or finished already
	}
	if ev.Closed != "" {
		if s.forget(p) {
			s.tell(p, EventClosed, closedEvent{PopupID: p.id, Tag: p.tag, Reason: string(ev.Closed)})
		}
		return
	}
	s.log.Info().Str("popup", p.id).Str("action", ev.Action).Msg("pop-up action")
	s.tell(p, EventAction, actionEvent{PopupID: p.id, Tag: p.tag, Action: ev.Action})
	if p.call != nil {
		s.runCallAction(p, ev.Action)
		return
	}
	// The user has answered: the pop-up has done its work.
	s.finish(p, string(notify.ClosedByCall))
}
