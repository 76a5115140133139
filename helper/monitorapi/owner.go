package monitorapi

import "github.com/openbpclient/bpclient/helper/agent"

// owner is who started a monitoring or a view: its session (the events
// of the signalling go there) and its origin ("" for the user's own
// clients), which alone may act on it.
type owner struct {
	session string
	origin  string
}

func ownerOf(c *agent.Call) owner {
	o := owner{session: c.SessionID}
	if c.Kind == "page" {
		o.origin = c.PageOrigin
	}
	return o
}

// admits reports whether c may see and act on what o started: a page of
// the same origin, or the user's own clients.
func (o owner) admits(c *agent.Call) bool { return agent.ToOrigin(o.origin).Admits(c) }

func (o owner) audience() agent.Audience { return agent.ToOrigin(o.origin) }
