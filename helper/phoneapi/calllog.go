package phoneapi

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/sip"
)

// Lines about a call carry its id under "call", as the sip package's own
// lines do, so that one grep of BPClient.log for the id tells the call's
// story: who placed or answered it (the session and the page's origin),
// its states, and its quality every report.

// logCallRequests wraps every call.* method so that each request logs its
// call id, method, session, page origin and outcome. Nothing of the
// params is logged: DTMF digits may be a card number.
func (s *Service) logCallRequests(methods map[string]agent.Method) map[string]agent.Method {
	for name, m := range methods {
		if strings.HasPrefix(name, "call.") {
			methods[name] = s.loggedCallRequest(name, m)
		}
	}
	return methods
}

func (s *Service) loggedCallRequest(name string, m agent.Method) agent.Method {
	return func(ctx context.Context, call *agent.Call) (any, *jsonrpc.Error) {
		res, jerr := m(ctx, call)
		ev := s.log.Info()
		if jerr != nil {
			ev = s.log.Warn().Int("code", jerr.Code).Str("error", jerr.Message)
		}
		ev.Str("call", requestCallID(call.Params, res)).Str("method", name).Str("session", call.SessionID).
			Str("kind", call.Kind).Str("origin", call.PageOrigin).Msg("call request")
		return res, jerr
	}
}

// requestCallID is the call a request is about: its callId param, or the
// id call.dial answered.
func requestCallID(params json.RawMessage, res any) string {
	var p struct {
		CallID string `json:"callId"`
	}
	if json.Unmarshal(params, &p) == nil && p.CallID != "" {
		return p.CallID
	}
	switch r := res.(type) {
	case map[string]string:
		return r["callId"]
	case sip.CallState:
		return r.CallID
	}
	return ""
}

// logQuality writes one line per quality.report of a call: the numbers a
// support person reads first, never anything of the keys.
func logQuality(log zerolog.Logger, name string, params any) {
	q, ok := params.(sip.QualityReport)
	if !ok || name != sip.EventQualityReport {
		return
	}
	ev := log.Info().Str("call", q.CallID).Str("codec", q.Codec).Float64("mos", q.MOS).
		Float64("lossPct", q.LossPct).Float64("jitterMs", q.JitterMs).Float64("rttMs", q.RTTMs)
	if len(q.Warnings) > 0 {
		ev = ev.Strs("warnings", q.Warnings)
	}
	if q.SRTP != nil {
		ev = ev.Interface("srtp", q.SRTP)
	}
	ev.Msg("quality")
}
