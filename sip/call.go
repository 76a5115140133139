package sip

import (
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
	"github.com/openbpclient/bpclient/sip/media"
	"github.com/openbpclient/bpclient/sip/sdes"
	"github.com/openbpclient/bpclient/sip/sdp"
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
	media       *media.Session
	offered     []sdp.Payload
	sessionID   uint64
	sdpVersion  uint64
	decision    chan decision // inbound, while ringing
	cancelDial  func()        // ends the wait for the answer, sending nothing (cancel.go)
	done        chan struct{}
	connectedAt time.Time
	transferTo  string
	ringback    *ringback
	// audio is the call's microphone and speaker, opened once while it
	// dials or rings (callaudio.go) and closed by end.
	audio *callAudio
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
	for _, entry := range p.cfg.Codecs {
		e, err := parseCodecEntry(entry)
		if err != nil {
			return nil, err
		}
		found := false
		for _, c := range have {
			if strings.EqualFold(c.Info().Name, e.name) {
				out = append(out, e.withOptions(c))
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: codec %q is not available in this build", ErrConfig, e.name)
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
		if c.audio != nil {
			c.audio.gate.connect() // the microphone's audio goes from now on
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
		m.Stop()
	}
	// After the media and the ringback, the only users of the devices.
	c.stopRingback()
	if a := c.callAudio(); a != nil {
		a.close()
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
	params := sdp.Local{SessionID: c.sessionID, Version: c.sdpVersion, Addr: c.p.localIP, Direction: direction}
	params.Proto, params.Crypto = c.sdpSecurityLocked()
	params.Fingerprint, params.Setup = c.dtlsSDPLocked()
	offered, m := c.offered, c.media
	c.mu.Unlock()
	params.Port = m.LocalPort()
	params.Payloads = offered
	params.DTMF = sdp.TelephoneEvents(offered)
	return sdp.Build(params)
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

func (c *Call) negotiateAnswer(body []byte) (sdp.Agreement, error) {
	ans, err := sdp.Parse(body)
	if err != nil {
		return sdp.Agreement{}, err
	}
	c.mu.Lock()
	offered := c.offered
	c.mu.Unlock()
	neg, err := sdp.ApplyAnswer(ans, offered)
	if err != nil {
		return neg, err
	}
	if neg, err = c.secureAnswer(ans, neg); err != nil {
		return neg, err
	}
	c.settleKeys(neg)
	return neg, nil
}

func (c *Call) startMedia(neg sdp.Agreement) error {
	c.mu.Lock()
	m := c.media
	c.codecName = neg.Send.Name
	c.mu.Unlock()
	if m == nil {
		return errors.New("call ended")
	}
	if neg.DTLS != nil {
		res, err := m.HandshakeDTLS(c.p.dtlsCert, c.p.cfg.SRTPSuites, neg)
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.suite, c.keying = res.Suite, KeyingDTLS
		c.mu.Unlock()
	} else if err := m.Secure(c.p.cfg.Secure(), neg); err != nil {
		return err
	}
	// The devices opened while the call dialed or rang (prepareAudio
	// opens them now for a call that has none yet); the call closes them.
	rate := neg.Send.Codec.Info().SampleRate
	c.prepareAudio(rate)
	a := Audio{}
	if ca := c.callAudio(); ca != nil {
		a = ca.forMedia(c.done, rate)
	}
	return m.Start(neg, a)
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

// byeTimeout bounds the BYE of a call the phone itself hangs up.
const byeTimeout = 5 * time.Second

// hangUp is how an established call ends on our side: the call ends with
// reason first, so that a BYE of the peer crossing ours, or the dialog's
// end, cannot turn reason into "remote hangup"; then our BYE goes, bounded
// by ctx. sipgo sends none on a dialog the peer has ended already.
func (c *Call) hangUp(ctx context.Context, reason string) error {
	c.endingAs(reason)
	c.end(reason)
	c.mu.Lock()
	cli, srv := c.cli, c.srv
	c.mu.Unlock()
	switch {
	case cli != nil:
		return cli.Bye(ctx)
	case srv != nil:
		return srv.Bye(ctx)
	}
	return nil
}

// hangUpSoon is hangUp for the phone's own decisions, which no caller
// waits for: the BYE gets byeTimeout.
func (c *Call) hangUpSoon(reason string) {
	ctx, cancel := context.WithTimeout(c.p.ctx, byeTimeout)
	defer cancel()
	if err := c.hangUp(ctx, reason); err != nil {
		c.log.Debug().Err(err).Msg("BYE not answered")
	}
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
	m.SetMuted(on)
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

// Quality returns the call's current quality figures.
func (c *Call) Quality() (QualityReport, bool) {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if m == nil {
		return QualityReport{}, false
	}
	return m.Snapshot(), true
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
	return m.Stats()
}
