package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"
	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/sdes"
)

// Call is one call, inbound or outbound. Its methods are safe to call from
// any goroutine; they return once the SIP exchange they start is done.
type Call struct {
	p         *Phone
	id        string
	sipCallID string
	dir       string
	log       zerolog.Logger
	started   time.Time

	mu sync.Mutex
	// dialogID is sipgo's id of the call's dialog (Call-ID and both
	// tags) once it exists: in-dialog requests must match it.
	dialogID    string
	state       string
	reason      string
	remote      string
	displayName string
	hold        holdStatus
	muted       bool
	codecName   string
	cli         *sipgo.DialogClientSession
	srv         *sipgo.DialogServerSession
	media       *media
	offered     []payload
	sessionID   uint64
	sdpVersion  uint64
	decision    chan decision // inbound, while ringing
	cancelDial  func()        // ends the wait for the answer, sending nothing (cancel.go)
	done        chan struct{}
	connectedAt time.Time
	transferTo  string
	ringback    *ringback
	// transfers (transfer.go): the API id of the call a transfer we
	// accepted came from, the call this one replaced (Replaces), the
	// consultation call of an attended transfer we started, and the
	// final status of an outbound call (for the NOTIFY that reports it).
	transferredFrom string
	replaces        string
	consult         *Call
	remoteRefer     *remoteRefer // the remote's REFER, pending or being followed
	finalCode       int
	connected       chan struct{} // closed once the call is first connected
	// ackBody receives the SDP answer of an inbound late-offer call (an
	// INVITE without SDP) from its ACK; nil otherwise.
	ackBody chan []byte
	// invite is how far the wait for our INVITE's answer is; its CANCEL
	// (cancel.go) is built on the first provisional response, asked for
	// by a hang-up, and sent once.
	invite    inviteStatus
	cancelReq *sipmsg.Request
	// ending is the reason for an end we have set in motion (our BYE, or
	// the remote's we are answering): ending the dialog also wakes
	// watchDialog, which must not report it as a remote hangup.
	ending string
	// secure mode (secure.go): our a=crypto lines (the offer's, then the
	// one settled), the suite in use, and the m= profile we answer with.
	crypto []sdes.Crypto
	suite  string
	proto  string
	// keying is "sdes" or "dtls" (dtls.go); setup our DTLS a=setup and
	// dtlsRemote the fingerprints the peer's certificate was checked
	// against (a re-offer must keep one of them).
	keying     string
	setup      string
	dtlsRemote []dtlssrtp.Fingerprint
}

type decision struct {
	answer bool
	code   int
	reason string
}

// ErrNoCall is returned for a call id the phone does not know.
var ErrNoCall = errors.New("no such call")

// ErrWrongState wraps errors for methods that do not fit the call's state.
var ErrWrongState = errors.New("not possible in this call state")

const (
	outbound = "outbound"
	inbound  = "inbound"
)

// offerCodecs orders the phone's codecs by Config.Codecs.
func (p *Phone) offerCodecs() ([]codec.Codec, error) {
	have := p.codecs
	if len(have) == 0 {
		have = codec.Available()
	}
	if len(p.cfg.Codecs) == 0 {
		if len(have) == 0 {
			return nil, fmt.Errorf("%w: no codec available", ErrConfig)
		}
		return have, nil
	}
	var out []codec.Codec
	for _, name := range p.cfg.Codecs {
		found := false
		for _, c := range have {
			if strings.EqualFold(c.Info().Name, name) {
				out = append(out, c)
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: codec %q is not available in this build", ErrConfig, name)
		}
	}
	return out, nil
}

func (p *Phone) newCall(dir, sipCallID, remote string) *Call {
	id := "c" + randomHex(6)
	c := &Call{
		p: p, id: id, sipCallID: sipCallID, dir: dir, remote: remote,
		log: p.log.With().Str("call", id).Logger(), started: time.Now(),
		done: make(chan struct{}), connected: make(chan struct{}), sessionID: uint64(time.Now().UnixNano() & 0x7fffffffffff),
	}
	c.sdpVersion = c.sessionID
	p.mu.Lock()
	p.calls[id] = c
	p.mu.Unlock()
	return c
}

// Call returns a call by id.
func (p *Phone) Call(id string) (*Call, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.calls[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoCall, id)
	}
	return c, nil
}

// Calls lists the calls in progress.
func (p *Phone) Calls() []CallState {
	p.mu.Lock()
	cs := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		cs = append(cs, c)
	}
	p.mu.Unlock()
	out := make([]CallState, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.State())
	}
	return out
}

func (p *Phone) callBySIP(sipCallID string) *Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.calls {
		if c.sipCallID == sipCallID {
			return c
		}
	}
	return nil
}

// ID is the call's id in the API.
func (c *Call) ID() string { return c.id }

// Done is closed when the call has ended.
func (c *Call) Done() <-chan struct{} { return c.done }

// State is a snapshot of the call.
func (c *Call) State() CallState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stateLocked()
}

func (c *Call) stateLocked() CallState {
	return CallState{CallID: c.id, Direction: c.dir, State: c.state, Reason: c.reason, Remote: c.remote, Codec: c.codecName, Muted: c.muted,
		Secure: c.suite != "", Suite: c.suite, Keying: c.keyingIfSecureLocked(), TransferredFrom: c.transferredFrom, Replaces: c.replaces}
}

// keyingIfSecureLocked is call.state's keying: set once the keys are.
func (c *Call) keyingIfSecureLocked() string {
	if c.suite == "" {
		return ""
	}
	return c.keying
}

func (c *Call) setState(state, reason string) {
	c.mu.Lock()
	if c.endedLocked() || (c.state == state && c.reason == reason) {
		c.mu.Unlock()
		return
	}
	c.state, c.reason = state, reason
	if state == StateConnected {
		select {
		case <-c.connected:
		default:
			close(c.connected)
		}
	}
	s := c.stateLocked()
	c.mu.Unlock()
	c.log.Info().Str("state", state).Str("reason", reason).Str("direction", c.dir).Msg("call state")
	c.p.emit(EventCallState, s)
	c.p.updateWaiting()
}

// end marks the call ended, stops its media and forgets it.
func (c *Call) end(reason string) {
	c.mu.Lock()
	if c.endedLocked() {
		c.mu.Unlock()
		return
	}
	c.state, c.reason = StateEnded, reason
	s := c.stateLocked()
	m := c.media
	c.media = nil
	awaiting := c.invite.awaiting()
	c.mu.Unlock()
	if awaiting {
		// Still ringing out: the CANCEL ends the INVITE (sipgo's
		// transaction takes the 487).
		c.cancelInvite()
	}
	if m != nil {
		m.stop()
	}
	c.p.mu.Lock()
	delete(c.p.calls, c.id)
	c.p.mu.Unlock()
	c.log.Info().Str("state", StateEnded).Str("reason", reason).Dur("duration", time.Since(c.started)).Msg("call state")
	c.p.emit(EventCallState, s)
	close(c.done)
	c.p.updateWaiting()
}

func (c *Call) wait(ctx context.Context) {
	select {
	case <-c.done:
	case <-ctx.Done():
	}
}

// targetURI turns "1002", "1002@host" or "sip:1002@host" into a SIP URI.
func (p *Phone) targetURI(to string) (sipmsg.Uri, error) {
	to = strings.TrimSpace(to)
	var u sipmsg.Uri
	if to == "" || len(to) > 256 || strings.ContainsAny(to, " \t\r\n<>\"") {
		return u, fmt.Errorf("bad destination %q", to)
	}
	if !strings.HasPrefix(to, "sip:") && !strings.HasPrefix(to, "sips:") {
		if !strings.Contains(to, "@") {
			to += "@" + p.cfg.Domain
		}
		to = p.cfg.scheme() + ":" + to
	}
	if err := sipmsg.ParseUri(to, &u); err != nil {
		return u, fmt.Errorf("bad destination %q: %w", to, err)
	}
	if u.Host == "" {
		return u, fmt.Errorf("bad destination %q: no host", to)
	}
	return u, nil
}

func (c *Call) buildSDP(direction string) []byte {
	c.mu.Lock()
	c.sdpVersion++
	params := sdpParams{sessionID: c.sessionID, version: c.sdpVersion, addr: c.p.localIP, direction: direction}
	params.proto, params.crypto = c.sdpSecurityLocked()
	params.fingerprint, params.setup = c.dtlsSDPLocked()
	offered, m := c.offered, c.media
	c.mu.Unlock()
	params.port = m.localPort()
	params.payloads = offered
	params.dtmf = dtmfFor(offered)
	return buildSDP(params)
}

func (p *Phone) openAudio(callID string, rate int) Audio {
	if p.audio == nil {
		return Audio{}
	}
	a, err := p.audio(callID, rate)
	if err != nil {
		p.log.Warn().Err(err).Str("call", callID).Msg("no audio for the call; it carries silence")
		return Audio{}
	}
	return a
}

// Dial places a call. It returns once the INVITE is sent; the call's
// progress arrives as call.state events.
func (p *Phone) Dial(ctx context.Context, to string) (*Call, error) {
	if p.ua == nil {
		return nil, errors.New("phone not started")
	}
	uri, err := p.targetURI(to)
	if err != nil {
		return nil, err
	}
	return p.dial(ctx, uri, dialOptions{})
}

// dialOptions are the extras of a call placed for a transfer.
type dialOptions struct {
	headers         []sipmsg.Header // Replaces, Referred-By
	transferredFrom string          // API id of the call the REFER came on
}

func (p *Phone) dial(ctx context.Context, uri sipmsg.Uri, opts dialOptions) (*Call, error) {
	cs, err := p.offerCodecs()
	if err != nil {
		return nil, err
	}
	rtpC, rtcpC, err := p.allocRTP()
	if err != nil {
		return nil, err
	}
	req := sipmsg.NewRequest(sipmsg.INVITE, uri)
	req.SetDestination(p.currentServer().String())
	req.SetTransport(strings.ToUpper(p.cfg.Transport))
	req.AppendHeader(p.fromHeader())
	req.AppendHeader(&sipmsg.ToHeader{Address: uri})
	cid := sipmsg.CallIDHeader(randomHex(16))
	req.AppendHeader(&cid)
	req.AppendHeader(sipmsg.NewHeader("Allow", allowMethods))
	req.AppendHeader(sipmsg.NewHeader("User-Agent", "bpclient"))
	req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	for _, h := range opts.headers {
		req.AppendHeader(h)
	}

	c := p.newCall(outbound, string(cid), uri.String())
	c.transferredFrom = opts.transferredFrom
	c.offered = localPayloads(cs)
	c.media = newMedia(p, c.id, rtpC, rtcpC)
	if err := c.offerCrypto(); err != nil {
		c.end("could not secure the call: " + err.Error())
		return nil, err
	}
	req.SetBody(c.buildSDP(dirSendRecv))

	// The wait for the answer ends with our CANCEL's 487 or, forced, on
	// sipgo's WaitAnswerForceCancelErr (then sipgo sends no CANCEL of its
	// own, which it would route by the Request-URI: cancel.go).
	dctx, cancel := context.WithCancelCause(context.WithoutCancel(p.ctx))
	forceEnd := func() { cancel(sipgo.WaitAnswerForceCancelErr) }
	c.mu.Lock()
	c.cancelDial, c.invite = forceEnd, inviteAwaiting
	c.mu.Unlock()
	dua := &sipgo.DialogUA{Client: p.cli, ContactHDR: p.contactHeader()}
	t0 := time.Now()
	sess, err := dua.WriteInvite(p.ctx, req)
	if err != nil {
		c.mu.Lock()
		c.invite = inviteNone
		c.mu.Unlock()
		c.end("could not send the call: " + sanitizeErr(err))
		return nil, fmt.Errorf("send INVITE: %w", err)
	}
	c.mu.Lock()
	c.cli = sess
	c.mu.Unlock()
	c.setState(StateDialing, "")
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer context.AfterFunc(p.ctx, forceEnd)() // the phone stops
		c.runOutbound(dctx, sess, t0)
	}()
	return c, nil
}

func (c *Call) runOutbound(ctx context.Context, sess *sipgo.DialogClientSession, t0 time.Time) {
	p := c.p
	earlyStarted := false
	err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{
		Username: p.cfg.AuthUsername,
		Password: p.cfg.Password,
		OnResponse: func(res *sipmsg.Response) error {
			// Our CANCEL goes once a provisional response has come; it
			// is built from the INVITE as sent (cancel.go).
			if res.IsProvisional() {
				c.provisionalTo(sess.InviteRequest)
			} else {
				c.finalTo()
				if !res.IsSuccess() && c.isCancelling() {
					return errCancelled // no retry after a challenge
				}
				if err := p.checkChallenge(res); err != nil {
					return err // before sipgo answers it
				}
			}
			switch {
			case res.StatusCode == 180:
				c.setState(StateRinging, "")
				if !earlyStarted {
					c.startRingback()
				}
			case res.StatusCode == 183:
				c.setState(StateEarly, "")
				if !earlyStarted && len(res.Body()) > 0 {
					// A DTLS call keys once answered: no early media.
					if neg, err := c.negotiateAnswer(res.Body()); err == nil && neg.dtls == nil {
						// Early media plays instead of our ringback.
						c.stopRingback()
						earlyStarted = c.startMedia(neg) == nil
					}
				}
			}
			return nil
		},
	})
	c.stopRingback()
	c.mu.Lock()
	c.invite = c.invite.answered()
	c.mu.Unlock()
	if err != nil {
		var de *sipgo.ErrDialogResponse
		switch {
		case ctx.Err() != nil, c.isCancelling():
			c.setFinalCode(487)
			c.end("cancelled")
		case errors.Is(err, errChallengeRefused):
			c.setFinalCode(403)
			c.end(err.Error())
		case errors.As(err, &de):
			c.setFinalCode(de.Res.StatusCode)
			c.end(failureReason(de.Res.StatusCode, de.Res.Reason))
		default:
			c.setFinalCode(503)
			c.end("call failed: " + sanitizeErr(err))
		}
		return
	}
	c.setFinalCode(sess.InviteResponse.StatusCode)
	c.mu.Lock()
	c.dialogID = sess.ID
	c.mu.Unlock()
	if c.isCancelling() {
		// Answered before our CANCEL reached the callee: the call is
		// up there, so it ends with an ACK and a BYE (RFC 3261 §9.1).
		c.setFinalCode(487)
		_ = sess.Ack(p.ctx)
		c.hangUpSoon("cancelled")
		return
	}
	neg, err := c.negotiateAnswer(sess.InviteResponse.Body())
	if err != nil {
		_ = sess.Ack(p.ctx)
		if errors.Is(err, errNotSecure) {
			c.hangUpSoon(err.Error())
			return
		}
		c.hangUpSoon("the remote answer has no usable audio: " + err.Error())
		return
	}
	if err := sess.Ack(p.ctx); err != nil {
		c.log.Warn().Err(err).Msg("ACK not sent")
	}
	if earlyStarted {
		c.mu.Lock()
		m := c.media
		c.mu.Unlock()
		if m != nil {
			if err := m.secure(p.cfg.Secure(), neg); err != nil {
				c.hangUpSoon(err.Error())
				return
			}
			m.update(neg, false)
		}
	} else if err := c.startMedia(neg); err != nil {
		// The call is established (ACK sent): whatever failed, hang up.
		reason := "media failed: " + err.Error()
		if errors.Is(err, errNotSecure) {
			reason = err.Error() // e.g. the DTLS handshake failed
		}
		c.hangUpSoon(reason)
		return
	}
	c.mu.Lock()
	c.connectedAt = time.Now()
	c.mu.Unlock()
	c.log.Info().Dur("setup", time.Since(t0)).Str("codec", neg.send.name).Msg("call connected")
	c.setState(StateConnected, "")
	c.watchDialog(sess.Context())
}

func (c *Call) setFinalCode(code int) {
	c.mu.Lock()
	c.finalCode = code
	c.mu.Unlock()
}

// watchDialog ends the call when sipgo ends its dialog (BYE handled
// elsewhere sets the reason first). Its goroutine is the phone's, and
// stops with the call, the dialog or the phone.
func (c *Call) watchDialog(dialog context.Context) {
	p := c.p
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case <-dialog.Done():
			c.mu.Lock()
			reason := c.ending
			c.mu.Unlock()
			if reason == "" {
				reason = c.remoteHangupReason()
			}
			c.end(reason)
		case <-c.done:
		case <-p.ctx.Done():
		}
	}()
}

// endingAs records why the dialog is about to end, before the BYE that
// ends it goes out or is answered.
func (c *Call) endingAs(reason string) {
	c.mu.Lock()
	if c.ending == "" {
		c.ending = reason
	}
	c.mu.Unlock()
}

func (c *Call) negotiateAnswer(body []byte) (negotiated, error) {
	ans, err := parseSDP(body)
	if err != nil {
		return negotiated{}, err
	}
	c.mu.Lock()
	offered := c.offered
	c.mu.Unlock()
	neg, err := fromAnswer(ans, offered)
	if err != nil {
		return neg, err
	}
	if neg, err = c.secureAnswer(ans, neg); err != nil {
		return neg, err
	}
	c.settleKeys(neg)
	return neg, nil
}

func (c *Call) startMedia(neg negotiated) error {
	c.mu.Lock()
	m := c.media
	c.codecName = neg.send.name
	c.mu.Unlock()
	if m == nil {
		return errors.New("call ended")
	}
	if neg.dtls != nil {
		res, err := m.handshakeDTLS(c.p.dtlsCert, c.p.cfg.SRTPSuites, neg)
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.suite, c.keying = res.suite, KeyingDTLS
		c.mu.Unlock()
	} else if err := m.secure(c.p.cfg.Secure(), neg); err != nil {
		return err
	}
	a := c.p.openAudio(c.id, neg.send.codec.Info().SampleRate)
	if err := m.start(neg, a); err != nil {
		if a.Close != nil {
			a.Close()
		}
		return err
	}
	return nil
}

func failureReason(code int, reason string) string {
	switch code {
	case 404:
		return "not found (404)"
	case 408, 480:
		return fmt.Sprintf("no answer (%d)", code)
	case 486, 600:
		return fmt.Sprintf("busy (%d)", code)
	case 487:
		return "cancelled (487)"
	case 488, 606:
		return fmt.Sprintf("no common codec (%d)", code)
	case 603:
		return "declined (603)"
	}
	return fmt.Sprintf("%d %s", code, reason)
}

// onInvite handles a new call, or a re-INVITE inside one.
func (p *Phone) onInvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		p.onReinvite(req, tx)
		return
	}
	// An INVITE with Replaces (RFC 3891) takes over one of our calls: it
	// is answered without ringing and the old call ends.
	var replaced *Call
	if h := req.GetHeader("Replaces"); h != nil {
		rep, err := parseReplaces(h.Value())
		if err != nil {
			p.log.Info().Err(err).Msg("incoming call refused: bad Replaces")
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 400, "Bad Replaces", nil))
			return
		}
		var code int
		if replaced, code = p.matchReplaces(rep); replaced == nil {
			p.log.Info().Int("status", code).Msg("incoming call refused: Replaces names no call of ours")
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, code, statusText(code), nil))
			return
		}
	}
	// A call that would ring takes one of the few ringing slots: a flood
	// of INVITEs (through a trusted server) holds no more than that many
	// calls, RTP ports and file descriptors.
	stopRinging := func() {}
	if replaced == nil {
		var ok bool
		if stopRinging, ok = p.reserveRinging(); !ok {
			p.log.Info().Int("max", p.cfg.MaxRingingCalls).Msg("incoming call refused (486): too many calls ringing")
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 486, "Busy Here", nil))
			return
		}
	}
	defer stopRinging()
	cs, err := p.offerCodecs()
	if err != nil {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return
	}
	ours := localPayloads(cs)
	// An INVITE without SDP (late offer, RFC 3261 §13.2.1): our 200
	// carries the offer and the caller's ACK the answer.
	late := len(bytes.TrimSpace(req.Body())) == 0
	var offer mediaOffer
	var neg negotiated
	if !late {
		if offer, err = parseSDP(req.Body()); err != nil {
			p.log.Info().Err(err).Msg("incoming call refused: unusable SDP")
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
			return
		}
		if neg, err = answerTo(offer, ours); err != nil {
			p.log.Info().Err(err).Msg("incoming call refused")
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
			return
		}
		if neg, err = p.secureOffer(offer, neg); err != nil {
			// Secure mode never answers with plain RTP.
			p.log.Info().Err(err).Msg("incoming call refused")
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
			return
		}
	}
	dua := &sipgo.DialogUA{Client: p.cli, ContactHDR: p.contactHeader()}
	sess, err := dua.ReadInvite(req, tx)
	if err != nil {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	from := req.From()
	remote, display := "", ""
	if from != nil {
		remote = from.Address.User + "@" + from.Address.Host
		if from.Address.User == "" {
			remote = from.Address.Host
		}
		display = from.DisplayName
	}
	rtpC, rtcpC, err := p.allocRTP()
	if err != nil {
		_ = sess.Respond(503, "Service Unavailable", nil)
		return
	}
	c := p.newCall(inbound, req.CallID().Value(), "sip:"+remote)
	c.mu.Lock()
	c.srv = sess
	c.dialogID = sess.ID
	c.displayName = display
	c.offered = []payload{neg.send}
	if late {
		c.offered = ours
		c.ackBody = make(chan []byte, 1)
	}
	c.media = newMedia(p, c.id, rtpC, rtcpC)
	// decide sets c.decision to nil once it has sent: select on our own
	// copy, or an answer that comes before the select would be lost.
	decided := make(chan decision, 1)
	c.decision = decided
	c.proto = offer.proto
	if replaced != nil {
		c.replaces = replaced.id
		c.decision = nil
		decided <- decision{answer: true}
	}
	c.mu.Unlock()
	if late {
		if err := c.offerCrypto(); err != nil {
			c.end("could not secure the call: " + err.Error())
			_ = sess.Respond(500, "Server Internal Error", nil)
			return
		}
	} else {
		c.settleKeys(neg)
	}
	if replaced != nil {
		c.log.Info().Str("replaces", replaced.id).Msg("incoming call replaces a call")
	} else {
		if err := sess.Respond(180, "Ringing", nil); err != nil {
			c.end("could not ring: " + sanitizeErr(err))
			return
		}
		p.emit(EventCallIncoming, IncomingCall{CallID: c.id, From: "sip:" + remote, DisplayName: display})
		c.setState(StateRinging, "")
	}

	var ringTimeout <-chan time.Time
	if replaced == nil {
		t := time.NewTimer(p.cfg.RingTimeout)
		defer t.Stop()
		ringTimeout = t.C
	}
	select {
	case <-ringTimeout:
		stopRinging()
		c.log.Info().Dur("after", p.cfg.RingTimeout).Msg("incoming call not answered in time")
		c.end(ReasonRingTimeout)
		_ = sess.Respond(480, "Temporarily Unavailable", nil)
	case d := <-decided:
		stopRinging()
		if !d.answer {
			// The call ends now; sipgo's Respond then waits for the
			// caller's ACK (up to 32 s over UDP).
			c.end(failureReason(d.code, d.reason))
			_ = sess.Respond(d.code, d.reason, nil)
			return
		}
		if late {
			c.answerLateOffer(sess, replaced)
			return
		}
		if neg.dtls != nil {
			// DTLS-SRTP: the peer needs our answer (our fingerprint)
			// before the handshake, and media waits for its keys.
			if err := sess.RespondSDP(c.buildSDP(answerDirection(offer.direction, dirSendRecv))); err != nil {
				c.end("could not answer: " + sanitizeErr(err))
				return
			}
			if err := c.startMedia(neg); err != nil {
				c.hangUpSoon(err.Error())
				return
			}
		} else {
			if err := c.startMedia(neg); err != nil {
				_ = sess.Respond(500, "Server Internal Error", nil)
				c.end("media failed: " + err.Error())
				return
			}
			if err := sess.RespondSDP(c.buildSDP(answerDirection(offer.direction, dirSendRecv))); err != nil {
				c.end("could not answer: " + sanitizeErr(err))
				return
			}
		}
		c.connectedIn(sess, offer.direction, replaced)
	case <-sess.Context().Done():
		stopRinging()
		c.end("cancelled by the caller")
	case <-p.ctx.Done():
		_ = sess.Respond(480, "Temporarily Unavailable", nil)
		c.end("phone stopped")
	}
}

// ReasonRingTimeout ends an inbound call that rang for
// Config.RingTimeout without an answer (the caller gets 480).
const ReasonRingTimeout = "not answered in time (ring timeout)"

// reserveRinging takes a ringing slot; release gives it back (once, however
// often it is called). It fails when MaxRingingCalls calls ring already.
func (p *Phone) reserveRinging() (release func(), ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ringing >= p.cfg.MaxRingingCalls {
		return nil, false
	}
	p.ringing++
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			p.ringing--
			p.mu.Unlock()
		})
	}, true
}

// connectedIn marks an answered inbound call connected (remotely held
// when the remote's direction says so) and ends the call it replaces.
func (c *Call) connectedIn(sess *sipgo.DialogServerSession, remoteDir string, replaced *Call) {
	c.mu.Lock()
	c.connectedAt = time.Now()
	c.mu.Unlock()
	c.setState(StateConnected, "")
	if remoteDir == dirSendOnly || remoteDir == dirInactive {
		c.mu.Lock()
		c.hold = c.hold.with(heldByRemote, true)
		c.mu.Unlock()
		c.setState(StateRemoteHeld, "")
	}
	c.watchDialog(sess.Context())
	if replaced != nil {
		replaced.hangUpSoon("replaced")
	}
}

// answerLateOffer answers an INVITE that had no SDP: the 200 carries our
// offer, the ACK the answer (RFC 3264 §5; sipgo returns from RespondSDP
// once the ACK has come, and onAck keeps its body first).
func (c *Call) answerLateOffer(sess *sipgo.DialogServerSession, replaced *Call) {
	if err := sess.RespondSDP(c.buildSDP(dirSendRecv)); err != nil {
		c.end("could not answer: " + sanitizeErr(err))
		return
	}
	c.mu.Lock()
	ch := c.ackBody
	c.ackBody = nil
	c.mu.Unlock()
	var body []byte
	select {
	case body = <-ch:
	default:
	}
	fail := c.hangUpSoon
	if len(body) == 0 {
		fail("the caller's ACK carried no SDP answer to our offer")
		return
	}
	neg, err := c.negotiateAnswer(body)
	if err != nil {
		if errors.Is(err, errNotSecure) {
			fail(err.Error())
			return
		}
		fail("the remote answer has no usable audio: " + err.Error())
		return
	}
	if err := c.startMedia(neg); err != nil {
		if errors.Is(err, errNotSecure) {
			fail(err.Error())
			return
		}
		fail("media failed: " + err.Error())
		return
	}
	c.log.Info().Str("codec", neg.send.name).Msg("late-offer call connected (answer in the ACK)")
	c.connectedIn(sess, neg.direction, replaced)
}

// Answer accepts a ringing inbound call. Calls that are up are put on
// hold first (call waiting); when that fails the call keeps ringing.
func (c *Call) Answer(ctx context.Context) error {
	c.mu.Lock()
	ok, st := c.dir == inbound && !c.endedLocked() && c.decision != nil, c.state
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: the call is %s", ErrWrongState, st)
	}
	if err := c.holdOthers(ctx); err != nil {
		return err
	}
	return c.decide(decision{answer: true})
}

// Reject refuses a ringing inbound call (486 Busy Here by default).
func (c *Call) Reject(ctx context.Context, code int) error {
	if code == 0 {
		code = 486
	}
	if code < 400 || code > 699 {
		return fmt.Errorf("reject code %d: want 4xx-6xx", code)
	}
	return c.decide(decision{code: code, reason: statusText(code)})
}

func (c *Call) decide(d decision) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dir != inbound || c.endedLocked() || c.decision == nil {
		return fmt.Errorf("%w: the call is %s", ErrWrongState, c.state)
	}
	select {
	case c.decision <- d:
		c.decision = nil
		return nil
	default:
		return fmt.Errorf("%w: already decided", ErrWrongState)
	}
}

// Hangup ends the call in whatever state it is: CANCEL while dialing,
// a rejection while ringing in, BYE once connected.
func (c *Call) Hangup(ctx context.Context) error {
	c.mu.Lock()
	state, dir := c.state, c.dir
	cancelDial := c.cancelDial
	ended := c.endedLocked()
	c.mu.Unlock()
	if ended {
		return nil
	}
	switch {
	case dir == inbound && state == StateRinging:
		return c.decide(decision{code: 603, reason: "Decline"})
	case dir == outbound && (state == StateDialing || state == StateRinging || state == StateEarly):
		// Our CANCEL (cancel.go); the INVITE's 487 ends the call.
		c.cancelInvite()
		select {
		case <-c.done:
		case <-ctx.Done():
			cancelDial()
			c.end("cancelled")
		}
		return nil
	}
	return c.hangUp(ctx, "local hangup")
}

// Mute stops sending microphone audio (silence is sent instead).
func (c *Call) Mute(on bool) error {
	c.mu.Lock()
	m := c.media
	c.muted = on
	s := c.stateLocked()
	c.mu.Unlock()
	if m == nil {
		return fmt.Errorf("%w: no media", ErrWrongState)
	}
	m.setMuted(on)
	c.p.emit(EventCallState, s)
	return nil
}

// remoteTarget is where in-dialog requests go (the peer's Contact).
func (c *Call) remoteTargetLocked() (sipmsg.Uri, error) {
	switch {
	case c.cli != nil && c.cli.InviteResponse != nil && c.cli.InviteResponse.Contact() != nil:
		return c.cli.InviteResponse.Contact().Address, nil
	case c.srv != nil && c.srv.InviteRequest.Contact() != nil:
		return c.srv.InviteRequest.Contact().Address, nil
	}
	return sipmsg.Uri{}, fmt.Errorf("%w: no dialog", ErrWrongState)
}

// inDialog sends one request inside the call's dialog and waits for the
// final answer.
func (c *Call) inDialog(ctx context.Context, method sipmsg.RequestMethod, body []byte, ctype string, hdrs ...sipmsg.Header) (*sipmsg.Response, error) {
	c.mu.Lock()
	target, err := c.remoteTargetLocked()
	cli, srv := c.cli, c.srv
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	req := sipmsg.NewRequest(method, target)
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	if ctype != "" {
		req.AppendHeader(sipmsg.NewHeader("Content-Type", ctype))
	}
	req.SetBody(body)
	var res *sipmsg.Response
	if cli != nil {
		res, err = cli.Do(ctx, req)
	} else {
		res, err = srv.Do(ctx, req)
	}
	if err != nil {
		return nil, err
	}
	if method == sipmsg.INVITE && res.IsSuccess() {
		ack := sipmsg.NewRequest(sipmsg.ACK, target)
		if cli != nil {
			err = cli.WriteRequest(ack)
		} else {
			err = srv.WriteRequest(ack)
		}
		if err != nil {
			c.log.Warn().Err(err).Msg("ACK of re-INVITE not sent")
		}
	}
	return res, nil
}

// Hold puts the call on hold (re-INVITE with a=sendonly).
func (c *Call) Hold(ctx context.Context) error { return c.setHold(ctx, true) }

// Resume takes the call off hold (re-INVITE with a=sendrecv).
func (c *Call) Resume(ctx context.Context) error { return c.setHold(ctx, false) }

func (c *Call) setHold(ctx context.Context, hold bool) error {
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	if st != StateConnected && st != StateHeld && st != StateRemoteHeld {
		return fmt.Errorf("%w: the call is %s", ErrWrongState, st)
	}
	dir := dirSendRecv
	if hold {
		dir = dirSendOnly
	}
	res, err := c.inDialog(ctx, sipmsg.INVITE, c.buildSDP(dir), "application/sdp")
	if err != nil {
		return fmt.Errorf("re-INVITE: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("re-INVITE answered %d %s", res.StatusCode, res.Reason)
	}
	neg, err := c.negotiateAnswer(res.Body())
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if err == nil && m != nil {
		err = m.secure(c.p.cfg.Secure(), neg)
	}
	if errors.Is(err, errNotSecure) {
		// The peer's 200 (ACKed) took its new keys into use and we
		// cannot follow: what it sends could not be decrypted, so the
		// call ends rather than go on without audio.
		c.hangUpSoon(secureMediaFailed(err))
		return fmt.Errorf("re-INVITE answer: %w", err)
	}
	if err != nil {
		return fmt.Errorf("re-INVITE answer: %w", err)
	}
	c.mu.Lock()
	c.hold = c.hold.with(heldByUs, hold)
	state := c.hold.state()
	c.mu.Unlock()
	if m != nil {
		m.update(neg, hold)
	}
	c.setState(state, "")
	return nil
}

// callFor is the call an in-dialog request belongs to; for none, the
// request is answered 481 here and callFor returns nil.
func (p *Phone) callFor(req *sipmsg.Request, tx sipmsg.ServerTransaction) *Call {
	c := p.dialogCall(req)
	if c == nil {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	}
	return c
}

// dialogCall is the call whose dialog an in-dialog request names: the
// Call-ID and both tags must match (RFC 3261 §12.2.2), so that knowing a
// Call-ID (a stranger on the path, a forwarded header) is not enough to
// end or change a call. nil for none.
func (p *Phone) dialogCall(req *sipmsg.Request) *Call {
	cid := req.CallID()
	if cid == nil {
		return nil
	}
	c := p.callBySIP(cid.Value())
	if c == nil {
		return nil
	}
	c.mu.Lock()
	want, dir := c.dialogID, c.dir
	c.mu.Unlock()
	// The remote's request carries our tag in To and its own in From;
	// sipgo's dialog ids order the tags by our role in the INVITE.
	id, err := sipmsg.DialogIDFromRequestUAS(req)
	if dir == outbound {
		id, err = sipmsg.DialogIDFromRequestUAC(req)
	}
	if err != nil || want == "" || id != want {
		c.log.Info().Str("method", req.Method.String()).Msg("in-dialog request with our Call-ID but not our dialog's tags: 481")
		return nil
	}
	return c
}

// onReinvite answers a re-INVITE: the remote holds or resumes.
func (p *Phone) onReinvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	c := p.callFor(req, tx)
	if c == nil {
		return
	}
	c.mu.Lock()
	srv, cli, m, held := c.srv, c.cli, c.media, c.hold.byUs()
	c.mu.Unlock()
	if srv != nil {
		_ = srv.ReadRequest(req, tx)
	} else if cli != nil {
		_ = cli.ReadRequest(req, tx)
	}
	offer, err := parseSDP(req.Body())
	if err != nil || m == nil {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	c.mu.Lock()
	ours := c.offered
	c.mu.Unlock()
	neg, err := answerTo(offer, ours)
	if err == nil {
		neg, err = c.secureReoffer(offer, neg)
	}
	// The new keys are checked before we answer for them: an offer we
	// cannot follow is refused and leaves the call, its media and its
	// keys as they were (RFC 3264 §8, RFC 4568 §7.1.4).
	var installKeys func()
	if err == nil {
		installKeys, err = m.prepareSecure(p.cfg.Secure(), neg)
	}
	if err != nil {
		c.log.Info().Err(err).Msg("re-INVITE refused (488); the call goes on as it was")
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	want := dirSendRecv
	if held {
		want = dirSendOnly
	}
	body := c.buildSDP(answerDirection(offer.direction, want))
	p.mu.Lock()
	if edit := p.editReanswer; edit != nil {
		body = []byte(edit(string(body)))
	}
	p.mu.Unlock()
	res := sipmsg.NewSDPResponseFromRequest(req, body)
	ct := p.contactHeader()
	res.AppendHeader(&ct)
	if err := tx.Respond(res); err != nil {
		return
	}
	installKeys()
	m.update(neg, held)
	remoteHeld := offer.direction == dirSendOnly || offer.direction == dirInactive
	c.mu.Lock()
	c.hold = c.hold.with(heldByRemote, remoteHeld)
	state := c.hold.state()
	c.mu.Unlock()
	c.setState(state, "")
}

func (p *Phone) onAck(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	c := p.dialogCall(req)
	if c == nil {
		return
	}
	c.mu.Lock()
	srv, ackBody := c.srv, c.ackBody
	c.mu.Unlock()
	if ackBody != nil && len(req.Body()) > 0 {
		// The answer to our late offer: kept before ReadAck wakes
		// answerLateOffer. Retransmissions find the slot taken.
		select {
		case ackBody <- append([]byte(nil), req.Body()...):
		default:
		}
	}
	if srv != nil {
		_ = srv.ReadAck(req, tx)
	}
}

func (p *Phone) onBye(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	c := p.callFor(req, tx)
	if c == nil {
		return
	}
	c.mu.Lock()
	srv, cli, transferTo := c.srv, c.cli, c.transferTo
	c.mu.Unlock()
	if transferTo != "" {
		c.endingAs("transferred to " + transferTo)
	}
	if cli != nil {
		_ = cli.ReadBye(req, tx)
	} else if srv != nil {
		if err := srv.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 200, "OK", nil))
		}
	}
	if transferTo != "" {
		c.end("transferred to " + transferTo)
		return
	}
	c.end(c.remoteHangupReason())
}

// DTMF sends digits: RFC 4733 events when telephone-event was agreed,
// SIP INFO (application/dtmf-relay) otherwise.
func (c *Call) DTMF(ctx context.Context, digits string) error {
	if digits == "" || len(digits) > 64 {
		return fmt.Errorf("dtmf: %d digits (want 1..64)", len(digits))
	}
	for _, d := range digits {
		if _, ok := dtmfCode(d); !ok {
			return fmt.Errorf("dtmf: %q is not a digit", d)
		}
	}
	c.mu.Lock()
	m := c.media
	st := c.state
	c.mu.Unlock()
	if m == nil || (st != StateConnected && st != StateRemoteHeld && st != StateEarly) {
		return fmt.Errorf("%w: the call is %s", ErrWrongState, st)
	}
	err := m.sendDTMF(digits)
	if !errors.Is(err, errNoTelephoneEvent) {
		return err
	}
	for _, d := range strings.ToUpper(digits) {
		body := fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", d)
		res, err := c.inDialog(ctx, sipmsg.INFO, []byte(body), "application/dtmf-relay")
		if err != nil {
			return fmt.Errorf("dtmf INFO: %w", err)
		}
		if !res.IsSuccess() {
			return fmt.Errorf("dtmf INFO answered %d", res.StatusCode)
		}
	}
	return nil
}

// Transfer hands the call to another party (blind transfer, RFC 3515
// REFER). The call ends when the remote reports the new call up, or hangs
// up.
func (c *Call) Transfer(ctx context.Context, to string) error {
	uri, err := c.p.targetURI(to)
	if err != nil {
		return err
	}
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	if st != StateConnected && st != StateHeld && st != StateRemoteHeld {
		return fmt.Errorf("%w: the call is %s", ErrWrongState, st)
	}
	// Marked before the REFER leaves: the NOTIFY of a quick transferee
	// can come before the REFER's 202 is read.
	c.mu.Lock()
	c.transferTo, c.consult = uri.String(), nil
	c.mu.Unlock()
	if err := c.sendRefer(ctx, "<"+uri.String()+">"); err != nil {
		c.mu.Lock()
		c.transferTo = ""
		c.mu.Unlock()
		return err
	}
	return nil
}

func (p *Phone) onInfo(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	if p.callFor(req, tx) == nil {
		return
	}
	_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 200, "OK", nil))
}

// Quality returns the call's current quality figures.
func (c *Call) Quality() (QualityReport, bool) {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if m == nil {
		return QualityReport{}, false
	}
	return m.snapshot(), true
}

// ReceivedDTMF returns the RFC 4733 digits received (for tests and logs).
func (c *Call) ReceivedDTMF() string {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if m == nil {
		return ""
	}
	return m.receivedDigits()
}

func statusText(code int) string {
	switch code {
	case 480:
		return "Temporarily Unavailable"
	case 486:
		return "Busy Here"
	case 603:
		return "Decline"
	case 488:
		return "Not Acceptable Here"
	case 481:
		return "Call/Transaction Does Not Exist"
	case 487:
		return "Request Terminated"
	case 404:
		return "Not Found"
	case 503:
		return "Service Unavailable"
	}
	return "Rejected"
}

// MediaStats returns the call's media counters (zero when it has none).
func (c *Call) MediaStats() MediaStats {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if m == nil {
		return MediaStats{}
	}
	return m.stats()
}
