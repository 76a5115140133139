package presenceapi_test

import (
	"errors"
	"testing"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/presenceapi"
	"github.com/openbpclient/bpclient/internal/agenttest"
)

// TestPresenceUnavailableAndBadInput: without an idle source configure
// fails with -32014 unavailable and status says why; a threshold out of
// range is invalid params either way.
func TestPresenceUnavailableAndBadInput(t *testing.T) {
	why := errors.New("unavailable in this build")
	a := agenttest.Start(t, func(srv *agent.Server) []agent.Service {
		svc := presenceapi.New(presenceapi.Options{Logger: zerolog.Nop(), Unavailable: why, Events: srv})
		t.Cleanup(svc.Close)
		return []agent.Service{svc}
	})
	s := a.Open("cli", "")
	for _, bad := range []any{0, -5, 1e9, "300"} {
		if jerr := s.Call("presence.configure", map[string]any{"idleAfterSeconds": bad}, nil); jerr == nil || jerr.Code != jsonrpc.CodeInvalidParams {
			t.Errorf("idleAfterSeconds %v: %v, want invalid params", bad, jerr)
		}
	}
	jerr := s.Call("presence.configure", map[string]any{"idleAfterSeconds": 60}, nil)
	if jerr == nil {
		t.Fatal("configure without a source succeeded")
	}
	if d, _ := jerr.Data.(map[string]any); jerr.Code != jsonrpc.CodePresence || d["reason"] != jsonrpc.ReasonUnavailable {
		t.Fatalf("configure without a source: %v, want -32014 unavailable", jerr)
	}
	var st struct {
		Available bool   `json:"available"`
		Reason    string `json:"reason"`
	}
	s.Call("presence.status", nil, &st)
	if st.Available || st.Reason != why.Error() {
		t.Errorf("status %+v, want unavailable saying why", st)
	}
}
