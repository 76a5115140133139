package support

import "github.com/openbpclient/bpclient/helper/agent"

// Recorder passes the phone's events on to Next and keeps what the
// support bundle needs of them in History. The agent hands it to the
// phone service as its broadcaster, so no service has to know of the
// history.
type Recorder struct {
	Next    agent.AudienceBroadcaster
	History *History
}

// Broadcast implements agent.Broadcaster.
func (r Recorder) Broadcast(event string, params any) {
	r.History.Observe(event, params)
	r.Next.Broadcast(event, params)
}

// BroadcastTo implements agent.AudienceBroadcaster.
func (r Recorder) BroadcastTo(aud agent.Audience, event string, params any) {
	r.History.Observe(event, params)
	r.Next.BroadcastTo(aud, event, params)
}
