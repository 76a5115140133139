package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// Service is a feature that adds API methods to the agent: audio, the
// phone, popups. The agent knows nothing of what a service does; it routes
// the service's methods, lists its capabilities in helper.hello and puts
// its Status under its name in helper.status.
type Service interface {
	// Name is the service's key in helper.status ("audio", "phone").
	Name() string
	// Capabilities are added to helper.hello's list.
	Capabilities() []string
	// Methods maps full method names ("audio.devices") to handlers.
	Methods() map[string]Method
	// Status is a snapshot for helper.status; it must be JSON-encodable.
	Status() any
}

// CallerStatus is a Service whose helper.status entry depends on who asks
// (the phone tells pages of other origins only that it exists). The agent
// asks StatusFor instead of Status when a service has it.
type CallerStatus interface {
	StatusFor(caller *Call) any
}

// Method handles one request. The context ends when the session closes.
type Method func(ctx context.Context, call *Call) (any, *jsonrpc.Error)

// Call is one request as a service sees it.
type Call struct {
	Params json.RawMessage
	// Kind is "page", "extension" or "local".
	Kind string
	// PageOrigin is set for page sessions.
	PageOrigin string
	// SessionID names the session in logs and events.
	SessionID string
	// DesktopApp is set for a local client whose hello said it is a
	// desktop application (docs/DESKTOP-API.md); Client and
	// ClientVersion are its hello's name and version.
	DesktopApp    bool
	Client        string
	ClientVersion string
}

// Local reports whether the caller is a local client (the CLI), not a page
// or the extension: only local clients may name files for the agent to
// open (helper/pathguard).
func (c *Call) Local() bool { return c.Kind == kindLocal }

// Decode unmarshals the params into v, or says what is wrong with them.
func (c *Call) Decode(v any) *jsonrpc.Error { return jsonrpc.UnmarshalParams(c.Params, v) }

// Broadcaster sends events to every session that said hello. *Server is
// one; services receive it to publish their events.
type Broadcaster interface {
	Broadcast(event string, params any)
}

// builtin are the method families the agent itself owns.
var builtin = []string{"helper.", "policy.", "relay."}

// Register adds a service. Call it before Serve.
func (s *Server) Register(svc Service) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.services[svc.Name()]; dup {
		return fmt.Errorf("register service %q: already registered", svc.Name())
	}
	for name, m := range svc.Methods() {
		for _, b := range builtin {
			if strings.HasPrefix(name, b) {
				return fmt.Errorf("register service %q: method %s is the agent's own", svc.Name(), name)
			}
		}
		if _, dup := s.methods[name]; dup {
			return fmt.Errorf("register service %q: method %s already registered", svc.Name(), name)
		}
		s.methods[name] = m
	}
	s.services[svc.Name()] = svc
	for _, c := range svc.Capabilities() {
		if !slices.Contains(s.capabilities, c) {
			s.capabilities = append(s.capabilities, c)
		}
	}
	return nil
}

func (s *Server) method(name string) Method {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.methods[name]
}

func (s *Server) serviceStatus(viewer *Call) map[string]any {
	s.mu.Lock()
	svcs := make([]Service, 0, len(s.services))
	for _, svc := range s.services {
		svcs = append(svcs, svc)
	}
	s.mu.Unlock()
	out := make(map[string]any, len(svcs))
	for _, svc := range svcs {
		if cs, ok := svc.(CallerStatus); ok {
			out[svc.Name()] = cs.StatusFor(viewer)
			continue
		}
		out[svc.Name()] = svc.Status()
	}
	return out
}

func (s *Server) capabilityList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.capabilities)
}
