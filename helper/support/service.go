package support

import (
	"context"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
)

// Service is the agent's "support" service: support.history answers the
// history to the user's own local clients (`bpclient logs collect`).
// Pages and the extension never get it: it names the numbers called.
type Service struct {
	History *History
}

// Name implements agent.Service.
func (s *Service) Name() string { return "support" }

// Capabilities implements agent.Service.
func (s *Service) Capabilities() []string { return nil }

// Status implements agent.Service: how much the history holds, nothing of
// what.
func (s *Service) Status() any {
	snap := s.History.Snapshot()
	return map[string]int{"registrationChanges": len(snap.Registration), "calls": len(snap.Calls)}
}

// Methods implements agent.Service.
func (s *Service) Methods() map[string]agent.Method {
	return map[string]agent.Method{"support.history": s.history}
}

func (s *Service) history(_ context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	if !c.Local() {
		return nil, (&policy.Refusal{Reason: jsonrpc.ReasonPrivileged}).RPCError("only a local client may read the support history")
	}
	return s.History.Snapshot(), nil
}
