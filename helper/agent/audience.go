package agent

// Audience is who an event is for. The user's own clients (local clients
// such as the CLI, and the extension's privileged pages) are the user and
// hear every event; a page hears an event meant for its origin or for
// every page. The zero Audience is the user's own clients only. An event
// for one session, whatever its kind, is not an audience: send it with
// SessionSender.SendToSession.
type Audience struct {
	pageOrigin string
	allPages   bool
}

// Everyone is every session that said hello: events that tell nothing
// about calls or accounts (devices changed, clients changed).
func Everyone() Audience { return Audience{allPages: true} }

// ToOrigin is the user's own clients and the pages of origin, which must
// be a page origin exactly as helper.hello named it; ToOrigin("") is the
// user's own clients only.
func ToOrigin(origin string) Audience { return Audience{pageOrigin: origin} }

// Admits reports whether the caller of c belongs to the audience: events
// for aud may reach it, and a service may let it do what aud may do.
func (aud Audience) Admits(c *Call) bool {
	if c.Kind != kindPage {
		return true
	}
	return aud.allPages || (aud.pageOrigin != "" && c.PageOrigin == aud.pageOrigin)
}

// AudienceBroadcaster sends events to every session or to an audience.
// *Server is one; services whose events concern some pages only (the
// phone's calls) take one.
type AudienceBroadcaster interface {
	Broadcaster
	BroadcastTo(aud Audience, event string, params any)
}

// Origin is the page origin aud names ("" for none); AllPages reports
// whether it is every page. With them a process that publishes through
// the agent (the screen worker, helper/screenproxy) names an audience on
// the wire, and AudienceOf makes it again.
func (aud Audience) Origin() string { return aud.pageOrigin }

// AllPages reports whether aud is every session (Everyone).
func (aud Audience) AllPages() bool { return aud.allPages }

// AudienceOf is the Audience of origin, or Everyone when allPages.
func AudienceOf(origin string, allPages bool) Audience {
	return Audience{pageOrigin: origin, allPages: allPages}
}
