package agent

import (
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"time"

	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/version"
)

func (ss *session) dispatch(msg *jsonrpc.Message) (any, *jsonrpc.Error) {
	ss.mu.Lock()
	refused := ss.refused
	ss.mu.Unlock()
	if refused != nil {
		return nil, notAllowed(refused, refused.Message())
	}
	if msg.Method == "helper.hello" {
		return ss.doHello(msg)
	}
	caller, hello := ss.caller()
	if !hello {
		return nil, jsonrpc.Errorf(jsonrpc.CodeHelloRequired, "hello required: call helper.hello first")
	}
	switch msg.Method {
	case "helper.status":
		return ss.srv.status(caller), nil
	case "helper.ping":
		return map[string]bool{"pong": true}, nil
	case "policy.list":
		return ss.srv.policyList()
	case "policy.allow", "policy.remove":
		return ss.editPolicy(msg)
	case "helper.shutdown":
		return ss.doShutdown()
	case "helper.doctor":
		if ss.srv.doctor != nil {
			return ss.srv.doctor.Run(ss.ctx, doctorView(caller)), nil
		}
	}
	if m := ss.srv.method(msg.Method); m != nil {
		caller.Params = msg.Params
		return m(ss.ctx, caller)
	}
	return nil, jsonrpc.Errorf(jsonrpc.CodeMethodNotFound, "method not found: %q", msg.Method)
}

// doctorView is what helper.doctor tells caller: local clients see the
// files read; a page sees no paths and nothing of other pages.
func doctorView(caller *Call) doctor.View {
	return doctor.View{Local: caller.Local(), Origin: caller.PageOrigin}
}

// recordPage notes an allowed page's minHelperVersion for the doctor,
// refused or not: "update required" is what support asks about later.
func (s *Server) recordPage(origin, minVersion string) {
	if s.pages == nil || origin == "" {
		return
	}
	if err := s.pages.Record(origin, minVersion); err != nil {
		s.log.Warn().Err(err).Msg("record the page's minHelperVersion")
	}
}

func notAllowed(r *policy.Refusal, message string) *jsonrpc.Error { return r.RPCError(message) }

type helloParams struct {
	Client           string `json:"client"`
	ClientVersion    string `json:"clientVersion"`
	MinHelperVersion string `json:"minHelperVersion"`
	PageOrigin       string `json:"pageOrigin"`
	// DesktopApp: a local application of the desktop API (docs/DESKTOP-API.md).
	DesktopApp bool `json:"desktopApp"`
}

type helloResult struct {
	HelperVersion   string   `json:"helperVersion"`
	ProtocolVersion int      `json:"protocolVersion"`
	Capabilities    []string `json:"capabilities"`
	OS              string   `json:"os"`
	Arch            string   `json:"arch"`
	SessionID       string   `json:"sessionId"`
}

func (ss *session) doHello(msg *jsonrpc.Message) (any, *jsonrpc.Error) {
	var p helloParams
	if err := jsonrpc.UnmarshalParams(msg.Params, &p); err != nil {
		return nil, err
	}
	log := ss.log.Info().Str("client", p.Client).Str("clientVersion", p.ClientVersion).Str("pageOrigin", p.PageOrigin)

	ss.mu.Lock()
	prevOrigin, wasHello, relayed := ss.pageOrigin, ss.hello, ss.relayed != nil
	ss.mu.Unlock()
	if wasHello && p.PageOrigin != prevOrigin {
		log.Str("refused", jsonrpc.ReasonOriginChanged).Msg("hello refused")
		return nil, notAllowed(&policy.Refusal{Reason: jsonrpc.ReasonOriginChanged, Origin: p.PageOrigin}, "a session cannot change its page origin")
	}
	if p.PageOrigin != "" {
		pol, _, err := ss.srv.policy.Load()
		if err != nil {
			ss.log.Error().Err(err).Msg("policy unreadable")
			return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: the domain policy cannot be read; see BPClient.log")
		}
		if r := pol.CheckOrigin(p.PageOrigin); r != nil {
			log.Str("refused", r.Reason).Msg("hello refused")
			return nil, notAllowed(r, r.Message())
		}
	}
	if p.MinHelperVersion != "" {
		ok, err := version.AtLeast(p.MinHelperVersion)
		if err != nil {
			return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: minHelperVersion: %v", err)
		}
		ss.srv.recordPage(p.PageOrigin, p.MinHelperVersion)
		if !ok {
			log.Str("minHelperVersion", p.MinHelperVersion).Msg("hello refused: update required")
			return nil, jsonrpc.Errorf(jsonrpc.CodeUpdateRequired, "update required: this page needs BPClient %s or newer; %s is installed", p.MinHelperVersion, version.Version).
				WithData(map[string]string{"helperVersion": version.Version, "minHelperVersion": p.MinHelperVersion})
		}
	}
	kind := kindLocal
	switch {
	case p.PageOrigin != "":
		kind = kindPage
	case relayed:
		kind = kindExtension
	}
	if rerr := checkDesktopApp(p, kind); rerr != nil {
		log.Msg("hello refused: not a local desktop application")
		return nil, rerr
	}
	ss.mu.Lock()
	ss.hello, ss.kind, ss.client, ss.clientVer, ss.pageOrigin = true, kind, p.Client, p.ClientVersion, p.PageOrigin
	ss.desktopApp = p.DesktopApp
	ss.mu.Unlock()
	log.Str("kind", kind).Msg("hello")
	ss.announce = !wasHello
	return &helloResult{
		HelperVersion:   version.Version,
		ProtocolVersion: version.Protocol,
		Capabilities:    ss.srv.capabilityList(),
		OS:              runtime.GOOS,
		Arch:            runtime.GOARCH,
		SessionID:       ss.id,
	}, nil
}

type statusResult struct {
	HelperVersion   string       `json:"helperVersion"`
	ProtocolVersion int          `json:"protocolVersion"`
	OS              string       `json:"os"`
	Arch            string       `json:"arch"`
	PID             int          `json:"pid"`
	StartedAt       string       `json:"startedAt"`
	UptimeSeconds   float64      `json:"uptimeSeconds"`
	Clients         []clientInfo `json:"clients"`
	// Services adds each service's status under its name ("audio", "phone").
	Services map[string]any `json:"-"`
}

// MarshalJSON flattens the services' entries into the status object.
func (r *statusResult) MarshalJSON() ([]byte, error) {
	type plain statusResult
	base, err := json.Marshal((*plain)(r))
	if err != nil || len(r.Services) == 0 {
		return base, err
	}
	extra, err := json.Marshal(r.Services)
	if err != nil {
		return nil, err
	}
	// Both are objects: join "{...}" and "{...}" into one.
	return append(append(base[:len(base)-1], ','), extra[1:]...), nil
}

func (s *Server) status(viewer *Call) *statusResult {
	return &statusResult{
		HelperVersion:   version.Version,
		ProtocolVersion: version.Protocol,
		OS:              runtime.GOOS,
		Arch:            runtime.GOARCH,
		PID:             os.Getpid(),
		StartedAt:       s.started.UTC().Format(time.RFC3339),
		UptimeSeconds:   s.now().Sub(s.started).Seconds(),
		Clients:         s.clientList(viewer),
		Services:        s.serviceStatus(viewer),
	}
}

type policyListResult struct {
	Domains               []string `json:"domains"`
	AdminDomains          []string `json:"adminDomains"`
	UserDomains           []string `json:"userDomains"`
	UsersCanManageDomains bool     `json:"usersCanManageDomains"`
	Extensions            []string `json:"extensions"`
}

func listOf(p *policy.Policy) *policyListResult {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return &policyListResult{
		Domains:               nonNil(p.Domains()),
		AdminDomains:          nonNil(p.AdminDomains),
		UserDomains:           nonNil(p.UserDomains),
		UsersCanManageDomains: p.UsersCanManageDomains,
		Extensions:            nonNil(p.Extensions),
	}
}

func (s *Server) policyList() (any, *jsonrpc.Error) {
	p, _, err := s.policy.Load()
	if err != nil {
		s.log.Error().Err(err).Msg("policy unreadable")
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: the domain policy cannot be read; see BPClient.log")
	}
	return listOf(p), nil
}

func (ss *session) editPolicy(msg *jsonrpc.Message) (any, *jsonrpc.Error) {
	ss.mu.Lock()
	kind := ss.kind
	ss.mu.Unlock()
	if kind == kindPage {
		ss.log.Warn().Str("method", msg.Method).Msg("a page tried to change the policy")
		return nil, notAllowed(&policy.Refusal{Reason: jsonrpc.ReasonPrivileged}, "only the BPClient extension's own pages may change the allowed domains")
	}
	var p struct {
		Domain string `json:"domain"`
	}
	if err := jsonrpc.UnmarshalParams(msg.Params, &p); err != nil {
		return nil, err
	}
	if _, err := policy.NormalizeDomain(p.Domain); err != nil {
		return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: %v", err)
	}
	edit := ss.srv.policy.Allow
	if msg.Method == "policy.remove" {
		edit = ss.srv.policy.Remove
	}
	pol, err := edit(p.Domain)
	switch {
	case errors.Is(err, policy.ErrAdminLocked):
		return nil, notAllowed(&policy.Refusal{Reason: jsonrpc.ReasonAdminLocked}, err.Error())
	case err != nil:
		ss.log.Error().Err(err).Str("method", msg.Method).Msg("policy edit failed")
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: %v", err)
	}
	ss.log.Info().Str("method", msg.Method).Str("domain", p.Domain).Str("kind", kind).Msg("policy changed")
	res := listOf(pol)
	ss.srv.Broadcast("policy.changed", map[string][]string{"domains": res.Domains})
	return res, nil
}

// doShutdown stops the agent at the request of a local client (the CLI,
// an installer replacing the binary). Browsers cannot stop it.
func (ss *session) doShutdown() (any, *jsonrpc.Error) {
	ss.mu.Lock()
	kind := ss.kind
	ss.mu.Unlock()
	if kind != kindLocal {
		return nil, notAllowed(&policy.Refusal{Reason: jsonrpc.ReasonPrivileged}, "only a local client may stop the agent")
	}
	if ss.srv.shutdown == nil {
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: this agent cannot be stopped through the API")
	}
	ss.log.Info().Msg("shutdown requested by a local client")
	// After the answer has been queued, so the client learns it worked.
	go ss.srv.shutdown()
	return map[string]bool{"stopping": true}, nil
}
