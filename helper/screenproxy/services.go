package screenproxy

import (
	"context"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// The worker's services by their helper.status names (helper/screenapi,
// helper/monitorapi, the shared captures) and their methods.
var (
	recordMethods = []string{"screen.record.start", "screen.record.pause", "screen.record.resume", "screen.record.stop"}
	liveMethods   = []string{"screen.monitor.offer", "screen.monitor.answer", "screen.monitor.candidate", "screen.monitor.stop",
		"screen.view.start", "screen.view.candidate", "screen.view.stop", "screen.view.ack"}
)

// Services are what the agent registers: "screen" (recording, and the
// session watcher), "screenLive" (monitoring and viewing) and
// "screenCapture" (the shared captures' counts).
func (p *Proxy) Services() []agent.Service {
	return []agent.Service{recordService{p}, liveService{p}, captureService{p}}
}

type recordService struct{ p *Proxy }

func (s recordService) Name() string { return "screen" }

func (s recordService) Capabilities() []string {
	if !s.p.availability().Available() {
		return nil
	}
	return []string{"screen-recording"}
}

func (s recordService) Methods() map[string]agent.Method {
	m := s.p.forwarding(recordMethods)
	m["screen.status"] = s.status
	return m
}

// forwarding are the methods of names, each forwarded to the worker.
func (p *Proxy) forwarding(names []string) map[string]agent.Method {
	m := make(map[string]agent.Method, len(names)+1)
	for _, name := range names {
		m[name] = p.forward(name)
	}
	return m
}

// idleView is screen.status while no worker runs: nothing records.
type idleView struct {
	Available  bool   `json:"available"`
	Reason     string `json:"reason,omitempty"`
	State      string `json:"state"`
	ReasonCode string `json:"reasonCode,omitempty"`
}

func (s recordService) idle() idleView {
	a := s.p.availability()
	return idleView{Available: a.Available(), Reason: a.Reason, State: "idle", ReasonCode: a.Code}
}

func (s recordService) Status() any {
	if st, ok := s.p.workerStatus(s.Name(), nil); ok {
		return st
	}
	return s.idle()
}

func (s recordService) status(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	if s.p.running() != nil {
		return s.p.forward("screen.status")(ctx, c)
	}
	return s.idle(), nil
}

// SessionClosed implements agent.SessionWatcher for every screen
// service: what the session started in the worker stops.
func (s recordService) SessionClosed(c *agent.Call) { s.p.sessionClosed(c) }

type liveService struct{ p *Proxy }

func (s liveService) Name() string { return "screenLive" }

// Capabilities: as the worker's, which has them when it has VP8.
func (s liveService) Capabilities() []string {
	if !s.vp8() {
		return nil
	}
	return []string{"screen-monitor", "screen-view"}
}

func (s liveService) vp8() bool {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	return s.p.o.Program != "" && !s.p.noVP8
}

func (s liveService) Methods() map[string]agent.Method { return s.p.forwarding(liveMethods) }

// idleLive is screenLive's status while no worker runs.
type idleLive struct {
	Monitor     bool   `json:"monitor"`
	MonitorWhy  string `json:"monitorUnavailable,omitempty"`
	View        bool   `json:"view"`
	ViewWhy     string `json:"viewUnavailable,omitempty"`
	Monitoring  bool   `json:"monitoring"`
	ViewsActive int    `json:"views"`
}

func (s liveService) Status() any { return s.StatusFor(&agent.Call{Kind: "local"}) }

// StatusFor implements agent.CallerStatus.
func (s liveService) StatusFor(c *agent.Call) any {
	if st, ok := s.p.workerStatus(s.Name(), c); ok {
		return st
	}
	st := idleLive{Monitor: s.vp8(), View: s.vp8()}
	if !st.Monitor {
		why := "no VP8 encoder in this build"
		if s.p.o.Program == "" {
			why = s.p.missing().Error()
		}
		st.MonitorWhy, st.ViewWhy = why, why
	}
	return st
}

type captureService struct{ p *Proxy }

func (s captureService) Name() string                     { return "screenCapture" }
func (s captureService) Capabilities() []string           { return nil }
func (s captureService) Methods() map[string]agent.Method { return nil }

func (s captureService) Status() any {
	if st, ok := s.p.workerStatus(s.Name(), nil); ok {
		return st
	}
	return map[string]any{}
}
