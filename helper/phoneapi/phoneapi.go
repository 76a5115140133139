// Package phoneapi is the agent's "phone" service: phone.* and call.*
// methods over the sip package, and its events sent to the sessions of the
// origin that owns the phone.
// Credentials live in memory only, inside the configured sip.Phone; they
// never reach the log, an event or a status answer.
package phoneapi

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/pathguard"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/sip"
)

// Options configure the service.
type Options struct {
	Logger zerolog.Logger
	// Events receives the phone's events, each for the owner's audience;
	// the agent's *Server is one.
	Events agent.AudienceBroadcaster
	// Audio opens a call's microphone and speaker; nil sends silence.
	Audio sip.AudioFactory
	// Ringer rings while a call comes in (and no other call is up); nil:
	// no ringing.
	Ringer Ringer
	// PhoneOptions are added to every sip.Phone (tests).
	PhoneOptions []sip.Option
	// Policy is where the administrator's policy is read from, fresh at
	// every phone.configure: its caFile/caPem is trusted for SIP over TLS
	// beside the system roots and the page's own caFile/caPem. Nil: none.
	Policy *policy.Store
	// Popups shows incoming calls on the desktop when phone.configure
	// asks (incomingPopup); nil: never.
	Popups IncomingPopups
}

// Service implements agent.Service.
type Service struct {
	opts Options
	log  zerolog.Logger

	mu      sync.Mutex
	phone   *sip.Phone
	ringing map[string]bool // inbound calls ringing now
	noAudio map[string]bool // calls told (call.audio) that they have no sound device

	// ownerMu is held for writing while phone.configure replaces the
	// phone and its owner, and for reading by every request checked
	// against the owner, so that the owner cannot change under it.
	ownerMu sync.RWMutex
	// owner (guarded by mu) is who controls the phone: the page origin
	// that configured it, or "" when the user's own clients did.
	owner string
	// released (guarded by mu): the owner unregistered the phone, so a
	// page of another origin may replace it.
	released bool
}

// New returns the service; nothing runs until phone.configure.
func New(opts Options) *Service {
	return &Service{opts: opts, log: opts.Logger.With().Str("svc", "phone").Logger(), ringing: map[string]bool{},
		noAudio: map[string]bool{}}
}

// Name implements agent.Service.
func (s *Service) Name() string { return "phone" }

// Capabilities implements agent.Service.
// "dtls-srtp" says phone.configure takes keying "dtls" (a helper without
// it would ignore the member and key with SDES); "transfer-consent" that
// a far end's REFER waits for call.acceptTransfer (call.transferRequested).
func (s *Service) Capabilities() []string {
	return []string{"softphone", "secure-softphone", "dtls-srtp", "transfer-consent"}
}

// Close hangs up, unregisters and stops the phone.
func (s *Service) Close() {
	s.mu.Lock()
	p := s.phone
	s.phone = nil
	s.mu.Unlock()
	if p != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	}
}

// Status implements agent.Service: the whole status, as the user's own
// clients see it.
func (s *Service) Status() any {
	return s.status()
}

// StatusFor implements agent.CallerStatus: helper.status's "phone" entry is
// what phone.status answers the caller. It reads the phone and its owner
// at once, so that it never shows one owner's phone to another, and does
// not wait for a phone.configure in progress.
func (s *Service) StatusFor(caller *agent.Call) any {
	s.mu.Lock()
	p, owner := s.phone, s.owner
	s.mu.Unlock()
	if p != nil && !audience(owner).Admits(caller) {
		return otherOriginStatus{Configured: true, OwnerOrigin: owner}
	}
	return statusOf(p, owner)
}

// otherOriginStatus is phone.status for a page that does not control the
// phone: that a phone exists and whose it is, nothing of its account,
// registration or calls.
type otherOriginStatus struct {
	Configured  bool   `json:"configured"`
	OwnerOrigin string `json:"ownerOrigin,omitempty"`
	Control     bool   `json:"control"`
}

// audience is who hears the events of a phone owned by owner.
func audience(owner string) agent.Audience { return agent.ToOrigin(owner) }

// controls reports whether caller may use the phone: the user's own clients
// always, a page when its origin configured the phone (a reload of the
// page, a new session of the same origin, included), or when there is no
// phone. Call with ownerMu held.
func (s *Service) controls(caller *agent.Call) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.phone == nil || audience(s.owner).Admits(caller)
}

// Controls reports whether caller may use the phone and what goes with it
// (the sound devices: audioapi.Options.MayChange).
func (s *Service) Controls(caller *agent.Call) bool {
	s.ownerMu.RLock()
	defer s.ownerMu.RUnlock()
	return s.controls(caller)
}

// mayReplace reports whether caller's phone.configure may replace the
// phone: besides those who control it, a page may take over a phone that
// its owner released (unregistered) or that the user's own clients
// configured (a test call from the CLI). Calls in progress are refused
// later, whoever asks. Call with ownerMu held for writing.
func (s *Service) mayReplace(caller *agent.Call) bool {
	if s.controls(caller) {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.released || s.owner == ""
}

func otherOriginErr() *jsonrpc.Error {
	return phoneErr(jsonrpc.ReasonOtherOrigin, "the phone is controlled by another site; it may not be used from this page")
}

// ownerOnly refuses m to callers that do not control the phone.
func (s *Service) ownerOnly(m agent.Method) agent.Method {
	return func(ctx context.Context, call *agent.Call) (any, *jsonrpc.Error) {
		s.ownerMu.RLock()
		defer s.ownerMu.RUnlock()
		if !s.controls(call) {
			return nil, otherOriginErr()
		}
		return m(ctx, call)
	}
}

type statusResult struct {
	Configured   bool                   `json:"configured"`
	Mode         string                 `json:"mode,omitempty"`
	Server       string                 `json:"server,omitempty"`
	Transport    string                 `json:"transport,omitempty"`
	Keying       string                 `json:"keying,omitempty"`
	SIPS         bool                   `json:"sips,omitempty"`
	Username     string                 `json:"username,omitempty"`
	Domain       string                 `json:"domain,omitempty"`
	Codecs       []string               `json:"codecs,omitempty"`
	Registration *sip.RegistrationState `json:"registration,omitempty"`
	Calls        []sip.CallState        `json:"calls"`
	OwnerOrigin  string                 `json:"ownerOrigin,omitempty"`
	// Control: the asking session may use the phone. A session that may
	// not gets an otherOriginStatus instead.
	Control bool `json:"control"`
}

func (s *Service) status() statusResult {
	s.mu.Lock()
	p, owner := s.phone, s.owner
	s.mu.Unlock()
	return statusOf(p, owner)
}

// statusOf is the whole status of phone p (nil: none) owned by owner.
func statusOf(p *sip.Phone, owner string) statusResult {
	if p == nil {
		return statusResult{Calls: []sip.CallState{}, Control: true}
	}
	c := p.Config()
	reg := p.Registration()
	return statusResult{Configured: true, Mode: c.Mode, Server: c.Server, Transport: c.Transport, Keying: c.Keying, SIPS: c.SIPS, Username: c.Username,
		Domain: c.Domain, Codecs: c.Codecs, Registration: &reg, Calls: p.Calls(), OwnerOrigin: owner, Control: true}
}

func phoneErr(reason, format string, args ...any) *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.CodePhone, format, args...).WithData(map[string]string{"reason": reason})
}

// Methods implements agent.Service. Every method but phone.configure and
// phone.status, which decide for themselves, is for those who control the
// phone only.
func (s *Service) Methods() map[string]agent.Method {
	methods := s.methods()
	for name, m := range methods {
		if name != "phone.configure" && name != "phone.status" {
			methods[name] = s.ownerOnly(m)
		}
	}
	return s.logCallRequests(methods)
}

func (s *Service) methods() map[string]agent.Method {
	return map[string]agent.Method{
		"phone.configure":  s.configure,
		"phone.register":   s.register,
		"phone.unregister": s.unregister,
		"phone.status":     func(_ context.Context, call *agent.Call) (any, *jsonrpc.Error) { return s.StatusFor(call), nil },
		"call.dial":        s.dial,
		"call.answer":      s.withCall(func(ctx context.Context, c *sip.Call, _ callParams) error { return c.Answer(ctx) }),
		"call.reject": s.withCall(func(ctx context.Context, c *sip.Call, p callParams) error {
			return c.Reject(ctx, p.Code)
		}),
		"call.hangup": s.withCall(func(ctx context.Context, c *sip.Call, _ callParams) error { return c.Hangup(ctx) }),
		"call.hold":   s.withCall(func(ctx context.Context, c *sip.Call, _ callParams) error { return c.Hold(ctx) }),
		"call.resume": s.withCall(func(ctx context.Context, c *sip.Call, _ callParams) error { return c.Resume(ctx) }),
		"call.mute":   s.withCall(func(_ context.Context, c *sip.Call, _ callParams) error { return c.Mute(true) }),
		"call.unmute": s.withCall(func(_ context.Context, c *sip.Call, _ callParams) error { return c.Mute(false) }),
		"call.dtmf": s.withCall(func(ctx context.Context, c *sip.Call, p callParams) error {
			return c.DTMF(ctx, p.Digits)
		}),
		"call.transfer": s.withCall(s.transfer),
		// A transfer the far end asked for (call.transferRequested).
		"call.acceptTransfer": s.withCall(func(_ context.Context, c *sip.Call, _ callParams) error { return c.AcceptTransfer() }),
		"call.rejectTransfer": s.withCall(func(_ context.Context, c *sip.Call, _ callParams) error { return c.RejectTransfer() }),
	}
}

type configureParams struct {
	Mode          string          `json:"mode"`
	Server        string          `json:"server"`
	Transport     string          `json:"transport"`
	Domain        string          `json:"domain"`
	Username      string          `json:"username"`
	AuthUsername  string          `json:"authUsername"`
	Password      string          `json:"password"`
	DisplayName   string          `json:"displayName"`
	Expires       int             `json:"expires"`
	Codecs        []string        `json:"codecs"`
	OutboundProxy string          `json:"outboundProxy"`
	RTPPortMin    int             `json:"rtpPortMin"`
	RTPPortMax    int             `json:"rtpPortMax"`
	RTPLatching   string          `json:"rtpLatching"`
	Thresholds    *sip.Thresholds `json:"qualityThresholds"`
	ToneCountry   string          `json:"toneCountry"`
	// Secure mode (issue 5): extra CA for the TLS server certificate (a
	// file or PEM text), the name it must carry, the SRTP suites in order.
	CAFile        string   `json:"caFile"`
	CAPEM         string   `json:"caPem"`
	TLSServerName string   `json:"tlsServerName"`
	SRTPSuites    []string `json:"srtpSuites"`
	Keying        string   `json:"keying"`
	SIPS          bool     `json:"sips"`
	// Issue 9: the digest realm secure mode answers besides domain's,
	// who besides the servers may send us SIP, and the ringing limits.
	AuthRealm       string   `json:"authRealm"`
	TrustedPeers    []string `json:"trustedPeers"`
	MaxRingingCalls int      `json:"maxRingingCalls"`
	RingTimeoutSec  int      `json:"ringTimeoutSec"`
	// WithoutAudio is what calls send when the sound devices cannot be
	// opened: "silence" (default) or "tone".
	WithoutAudio string `json:"withoutAudio"`
	// Test knobs (documented as such): faster keep-alive and retries.
	KeepAliveMs int `json:"keepAliveMs"`
}

func (s *Service) configure(ctx context.Context, call *agent.Call) (any, *jsonrpc.Error) {
	var p configureParams
	if err := call.Decode(&p); err != nil {
		return nil, err
	}
	// Before anything of the params is used: a page that may not replace
	// the phone learns nothing from how its configuration would fare.
	s.ownerMu.Lock()
	defer s.ownerMu.Unlock()
	if !s.mayReplace(call) {
		s.log.Warn().Str("session", call.SessionID).Msg("phone.configure refused: the phone belongs to another origin")
		return nil, otherOriginErr()
	}
	switch p.Mode {
	case "", sip.ModeSoftphone, sip.ModeSecure:
	default:
		return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: mode %q (want softphone or secure)", p.Mode)
	}
	switch p.WithoutAudio {
	case "", WithoutAudioSilence, WithoutAudioTone:
	default:
		return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: withoutAudio %q (want silence or tone)", p.WithoutAudio)
	}
	if p.CAFile != "" {
		// Refused before anything opens it: a page gives the CA as caPem.
		if err := pathguard.Param(call.Local(), "caFile", p.CAFile); err != nil {
			s.log.Warn().Str("session", call.SessionID).Msg("phone.configure: caFile refused")
			return nil, err
		}
	}
	cfg := sip.Config{
		Server: p.Server, Transport: p.Transport, Domain: p.Domain, Username: p.Username,
		AuthUsername: p.AuthUsername, Password: p.Password, DisplayName: p.DisplayName,
		Expires: p.Expires, Codecs: p.Codecs, OutboundProxy: p.OutboundProxy,
		RTPPortMin: p.RTPPortMin, RTPPortMax: p.RTPPortMax, RTPLatching: p.RTPLatching,
		KeepAlive:   time.Duration(p.KeepAliveMs) * time.Millisecond,
		ToneCountry: p.ToneCountry,
		Mode:        p.Mode, CAFile: p.CAFile, CAPEM: p.CAPEM, TLSServerName: p.TLSServerName, SRTPSuites: p.SRTPSuites,
		Keying: p.Keying, SIPS: p.SIPS,
		AuthRealm: p.AuthRealm, TrustedPeers: p.TrustedPeers, MaxRingingCalls: p.MaxRingingCalls,
		RingTimeout: time.Duration(p.RingTimeoutSec) * time.Second,
	}
	if p.Thresholds != nil {
		cfg.Thresholds = *p.Thresholds
	}
	// The phone's events are for its owner's sessions; a phone never
	// changes owner (a new owner configures a new phone).
	owner := ownerOf(call)
	aud := audience(owner)
	popUp := wantsIncomingPopup(call.Params)
	opts := []sip.Option{
		sip.WithLogger(s.log),
		sip.WithEvents(func(name string, params any) {
			s.broadcast(aud, name, params)
			if popUp {
				s.popUp(owner, name, params)
			}
		}),
		sip.WithAudio(s.callAudio(aud, s.opts.Audio, p.WithoutAudio)),
	}
	if s.opts.Policy != nil {
		// An unreadable policy adds no trust: TLS then refuses a server
		// only it would have vouched for, with the reason; nothing is
		// trusted that should not be. Nor are transfers followed unasked.
		if pol, _, err := s.opts.Policy.Load(); err != nil {
			s.log.Error().Err(err).Msg("admin policy unreadable; its CA is not trusted")
		} else {
			cfg.PolicyCAFile, cfg.PolicyCAPEM = pol.CAFile, pol.CAPEM
			if pol.AllowRemoteTransfer {
				opts = append(opts, sip.WithFollowRemoteTransfers())
			}
		}
	}
	opts = append(opts, s.opts.PhoneOptions...)
	phone, err := sip.New(cfg, opts...)
	if err != nil {
		if errors.Is(err, sip.ErrConfig) {
			return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: %v", err)
		}
		return nil, phoneErr(jsonrpc.ReasonSIPError, "%v", err)
	}
	s.mu.Lock()
	old := s.phone
	if old != nil && len(old.Calls()) > 0 {
		s.mu.Unlock()
		return nil, phoneErr(jsonrpc.ReasonCallsInProgress, "a call is in progress; hang up before reconfiguring")
	}
	s.phone = nil
	s.mu.Unlock()
	if old != nil {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = old.Close(cctx)
		cancel()
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := phone.Start(sctx); err != nil {
		return nil, phoneErr(jsonrpc.ReasonSIPError, "start the phone: %v", err)
	}
	s.mu.Lock()
	s.phone, s.owner, s.released = phone, owner, false
	s.mu.Unlock()
	c := phone.Config()
	s.log.Info().Str("server", c.Server).Str("transport", c.Transport).Str("user", c.Username).
		Str("session", call.SessionID).Str("owner", owner).Msg("phone configured")
	return map[string]any{"configured": true, "local": phone.LocalAddr()}, nil
}

// ownerOf is who owns a phone that caller configures: its page origin, or
// "" (the user) for the user's own clients.
func ownerOf(caller *agent.Call) string {
	if agent.ToOrigin("").Admits(caller) {
		return ""
	}
	return caller.PageOrigin
}

func (s *Service) current() (*sip.Phone, *jsonrpc.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phone == nil {
		return nil, phoneErr(jsonrpc.ReasonNotConfigured, "the phone is not configured (phone.configure first)")
	}
	return s.phone, nil
}

func (s *Service) register(ctx context.Context, call *agent.Call) (any, *jsonrpc.Error) {
	p, jerr := s.current()
	if jerr != nil {
		return nil, jerr
	}
	if err := p.Register(); err != nil {
		return nil, phoneErr(jsonrpc.ReasonSIPError, "%v", err)
	}
	s.setReleased(p, false)
	return map[string]any{"registering": true}, nil
}

func (s *Service) unregister(ctx context.Context, call *agent.Call) (any, *jsonrpc.Error) {
	p, jerr := s.current()
	if jerr != nil {
		return nil, jerr
	}
	uctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.Unregister(uctx); err != nil {
		return nil, phoneErr(jsonrpc.ReasonSIPError, "unregister: %v", err)
	}
	s.setReleased(p, true)
	return p.Registration(), nil
}

// setReleased records whether the owner let go of phone p (unregistered
// it): a page of another origin may then configure its own.
func (s *Service) setReleased(p *sip.Phone, released bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phone == p {
		s.released = released
	}
}

type callParams struct {
	CallID string `json:"callId"`
	To     string `json:"to"`
	// TargetCallID makes call.transfer attended: the call's remote is
	// connected with this other call's remote.
	TargetCallID string `json:"targetCallId"`
	Digits       string `json:"digits"`
	Code         int    `json:"code"`
}

func (s *Service) dial(ctx context.Context, call *agent.Call) (any, *jsonrpc.Error) {
	var cp callParams
	if err := call.Decode(&cp); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cp.To) == "" {
		return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, `invalid params: "to" is required`)
	}
	p, jerr := s.current()
	if jerr != nil {
		return nil, jerr
	}
	c, err := p.Dial(ctx, cp.To)
	if err != nil {
		return nil, phoneErr(jsonrpc.ReasonSIPError, "dial: %v", err)
	}
	return map[string]string{"callId": c.ID()}, nil
}

func (s *Service) withCall(f func(ctx context.Context, c *sip.Call, p callParams) error) agent.Method {
	return func(ctx context.Context, call *agent.Call) (any, *jsonrpc.Error) {
		var cp callParams
		if err := call.Decode(&cp); err != nil {
			return nil, err
		}
		p, jerr := s.current()
		if jerr != nil {
			return nil, jerr
		}
		c, err := p.Call(cp.CallID)
		if err != nil {
			return nil, phoneErr(jsonrpc.ReasonNoSuchCall, "no call %q", cp.CallID)
		}
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := f(cctx, c, cp); err != nil {
			switch {
			case errors.Is(err, errBadTransfer):
				return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: %v", err)
			case errors.Is(err, sip.ErrNoCall):
				return nil, phoneErr(jsonrpc.ReasonNoSuchCall, "%v", err)
			case errors.Is(err, sip.ErrWrongState):
				return nil, phoneErr(jsonrpc.ReasonWrongState, "%v", err)
			}
			return nil, phoneErr(jsonrpc.ReasonSIPError, "%v", err)
		}
		return c.State(), nil
	}
}

// transfer is blind with "to", attended with "targetCallId".
func (s *Service) transfer(ctx context.Context, c *sip.Call, p callParams) error {
	switch {
	case p.TargetCallID != "" && p.To != "":
		return errBadTransfer
	case p.TargetCallID != "":
		ph, jerr := s.current()
		if jerr != nil {
			return errors.New(jerr.Message)
		}
		target, err := ph.Call(p.TargetCallID)
		if err != nil {
			return err
		}
		return c.AttendedTransfer(ctx, target)
	case p.To != "":
		return c.Transfer(ctx, p.To)
	}
	return errBadTransfer
}

var errBadTransfer = errors.New(`call.transfer takes either "to" (blind) or "targetCallId" (attended)`)

func (s *Service) broadcast(aud agent.Audience, name string, params any) {
	logQuality(s.log, name, params)
	s.ring(name, params)
	s.forgetCall(params)
	if s.opts.Events != nil {
		s.opts.Events.BroadcastTo(aud, name, params)
	}
}

// ring starts the ringer devices when a call comes in while no other call
// is up (connected or held), and stops them when no inbound call rings any
// more.
func (s *Service) ring(name string, params any) {
	if s.opts.Ringer == nil {
		return
	}
	var start, stop bool
	s.mu.Lock()
	switch v := params.(type) {
	case sip.IncomingCall:
		if name == sip.EventCallIncoming {
			busy := false
			if s.phone != nil {
				for _, c := range s.phone.Calls() {
					// A call that is up hears the call-waiting tone
					// (sip) instead of the ringers.
					switch c.State {
					case sip.StateConnected, sip.StateHeld, sip.StateRemoteHeld:
						busy = c.CallID != v.CallID || busy
					}
				}
			}
			start = len(s.ringing) == 0 && !busy
			s.ringing[v.CallID] = true
		}
	case sip.CallState:
		if s.ringing[v.CallID] && v.State != sip.StateRinging {
			delete(s.ringing, v.CallID)
			stop = len(s.ringing) == 0
		}
	}
	s.mu.Unlock()
	switch {
	case start:
		if devs, err := s.opts.Ringer.Ring(nil, 0, true); err != nil {
			s.log.Warn().Err(err).Msg("cannot ring")
		} else {
			s.log.Info().Strs("devices", devs).Msg("ringing")
		}
	case stop:
		s.opts.Ringer.StopRing()
	}
}
