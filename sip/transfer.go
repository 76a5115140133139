package sip

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	sipmsg "github.com/emiago/sipgo/sip"
)

// Transfers: attended transfer as the transferor (REFER with Replaces,
// RFC 5589 §7), being transferred (a REFER we accept, RFC 3515), and
// being the target of an attended transfer (INVITE with Replaces, RFC
// 3891).

// replacesID names a dialog as the Replaces header does (RFC 3891 §6.1):
// to-tag is the local tag of the UA that receives it, from-tag its
// remote tag.
type replacesID struct {
	callID    string
	toTag     string
	fromTag   string
	earlyOnly bool
}

// maxReplaces bounds a Replaces value: a Call-ID and two tags.
const maxReplaces = 512

// parseReplaces reads "callid;to-tag=a;from-tag=b[;early-only]".
func parseReplaces(v string) (replacesID, error) {
	var r replacesID
	v = strings.TrimSpace(v)
	if len(v) > maxReplaces {
		return r, fmt.Errorf("replaces of %d bytes is too long", len(v))
	}
	parts := strings.Split(v, ";")
	r.callID = strings.TrimSpace(parts[0])
	if !sipToken(r.callID, "@") {
		return r, fmt.Errorf("replaces: bad call-id %q", r.callID)
	}
	for _, p := range parts[1:] {
		name, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		name, val = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(val)
		switch name {
		case "to-tag":
			r.toTag = val
		case "from-tag":
			r.fromTag = val
		case "early-only":
			r.earlyOnly = true
		}
	}
	if !sipToken(r.toTag, "") || !sipToken(r.fromTag, "") {
		return r, errors.New("replaces: to-tag and from-tag are required")
	}
	return r, nil
}

// String writes the value the way parseReplaces reads it.
func (r replacesID) String() string {
	s := r.callID + ";to-tag=" + r.toTag + ";from-tag=" + r.fromTag
	if r.earlyOnly {
		s += ";early-only"
	}
	return s
}

// sipToken reports whether s is a non-empty RFC 3261 token (plus the
// characters in extra, such as the '@' of a Call-ID). Whatever passes
// can go back on the wire in a header of ours.
func sipToken(s, extra string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9':
		case strings.IndexByte("-.!%*_+`'~", ch) >= 0, strings.IndexByte(extra, ch) >= 0:
		default:
			return false
		}
	}
	return true
}

// maxReferTo bounds a Refer-To value, in bytes.
const maxReferTo = 1024

// parseReferTo reads a Refer-To value: "<sip:u@h?Replaces=...>" (with an
// optional display name and parameters) or a bare URI. It returns the
// target and, when the URI carries one, the Replaces header to send.
func parseReferTo(v string) (sipmsg.Uri, *replacesID, error) {
	var u sipmsg.Uri
	v = strings.TrimSpace(v)
	if len(v) > maxReferTo {
		return u, nil, fmt.Errorf("refer-to of %d bytes is too long", len(v))
	}
	if i := strings.IndexByte(v, '<'); i >= 0 {
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return u, nil, errors.New("refer-to: no closing '>'")
		}
		v = v[i+1 : i+j]
	} else if i := strings.IndexByte(v, ';'); i >= 0 {
		// A bare URI cannot carry headers; what follows ';' are the
		// header's own parameters.
		v = v[:i]
	}
	uriPart, hdrs, _ := strings.Cut(v, "?")
	if err := sipmsg.ParseUri(uriPart, &u); err != nil {
		return u, nil, fmt.Errorf("refer-to: %w", err)
	}
	if (u.Scheme != "sip" && u.Scheme != "sips") || u.Host == "" {
		return u, nil, fmt.Errorf("refer-to: not a SIP URI: %q", uriPart)
	}
	u.Headers = nil
	var rep *replacesID
	for _, h := range strings.Split(hdrs, "&") {
		name, val, ok := strings.Cut(h, "=")
		if !ok || !strings.EqualFold(name, "Replaces") {
			continue
		}
		raw, err := url.PathUnescape(val)
		if err != nil {
			return u, nil, fmt.Errorf("refer-to: replaces: %w", err)
		}
		r, err := parseReplaces(raw)
		if err != nil {
			return u, nil, fmt.Errorf("refer-to: %w", err)
		}
		rep = &r
	}
	return u, rep, nil
}

// parseSipfrag reads the status line of a message/sipfrag body (RFC
// 3420): "SIP/2.0 200 OK".
func parseSipfrag(body []byte) (code int, reason string, ok bool) {
	line, _, _ := strings.Cut(string(body[:min(len(body), 256)]), "\n")
	line = strings.TrimSpace(line)
	rest, found := strings.CutPrefix(line, "SIP/2.0 ")
	if !found || len(rest) < 3 {
		return 0, "", false
	}
	for i := 0; i < 3; i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return 0, "", false
		}
		code = code*10 + int(rest[i]-'0')
	}
	if code < 100 || (len(rest) > 3 && rest[3] != ' ') {
		return 0, "", false
	}
	reason = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(rest[3:]))
	if len(reason) > 64 {
		reason = reason[:64]
	}
	return code, reason, true
}

// dialogTagsLocked returns the tags of the call's confirmed dialog: ours
// and the remote's.
func (c *Call) dialogTagsLocked() (local, remote string, ok bool) {
	switch {
	case c.cli != nil && c.cli.InviteResponse != nil && c.cli.InviteResponse.IsSuccess():
		if f := c.cli.InviteRequest.From(); f != nil {
			local, _ = f.Params.Get("tag")
		}
		if t := c.cli.InviteResponse.To(); t != nil {
			remote, _ = t.Params.Get("tag")
		}
	case c.srv != nil && c.srv.InviteResponse != nil && c.srv.InviteResponse.IsSuccess():
		if f := c.srv.InviteRequest.From(); f != nil {
			remote, _ = f.Params.Get("tag")
		}
		if t := c.srv.InviteResponse.To(); t != nil {
			local, _ = t.Params.Get("tag")
		}
	}
	return local, remote, local != "" && remote != ""
}

// remoteAORLocked is the remote party's address of record (not its
// Contact): a new call to it goes through the proxy like any other.
func (c *Call) remoteAORLocked() (sipmsg.Uri, bool) {
	var a sipmsg.Uri
	switch {
	case c.cli != nil:
		a = c.cli.InviteRequest.Recipient
	case c.srv != nil && c.srv.InviteRequest.From() != nil:
		a = c.srv.InviteRequest.From().Address
	default:
		return a, false
	}
	return sipmsg.Uri{Scheme: c.p.cfg.scheme(), User: a.User, Host: a.Host, Port: a.Port}, a.Host != ""
}

func inCall(state string) bool {
	return state == StateConnected || state == StateHeld || state == StateRemoteHeld
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

// AttendedTransfer connects this call's remote with target's remote and
// leaves both calls (RFC 5589 §7): a REFER on this call whose Refer-To
// names target's remote with the Replaces of target's dialog. Both calls
// end with reason "transferred to …" once the transferee reports the new
// call up; a failure the transferee reports comes as a call.state of this
// call with reason "transfer failed: …", both calls staying up.
func (c *Call) AttendedTransfer(ctx context.Context, target *Call) error {
	if target == nil || target == c {
		return fmt.Errorf("%w: an attended transfer needs two calls", ErrWrongState)
	}
	c.mu.Lock()
	st, remote := c.state, c.remote
	c.mu.Unlock()
	if !inCall(st) {
		return fmt.Errorf("%w: the call is %s", ErrWrongState, st)
	}
	target.mu.Lock()
	tst := target.state
	local, tremote, ok := target.dialogTagsLocked()
	aor, aok := target.remoteAORLocked()
	callID := target.sipCallID
	target.mu.Unlock()
	if !inCall(tst) || !ok || !aok {
		return fmt.Errorf("%w: the target call is %s", ErrWrongState, tst)
	}
	rep := replacesID{callID: callID, toTag: tremote, fromTag: local}
	referTo := "<" + aor.String() + "?Replaces=" + url.QueryEscape(rep.String()) + ">"
	// Marked before the REFER leaves: on loopback the target's BYE of the
	// replaced call can come before the REFER's 202 is read.
	c.mu.Lock()
	c.transferTo, c.consult = aor.String(), target
	c.mu.Unlock()
	target.mu.Lock()
	target.transferTo = remote
	target.mu.Unlock()
	err := c.sendRefer(ctx, referTo)
	if err != nil {
		c.mu.Lock()
		c.transferTo, c.consult = "", nil
		c.mu.Unlock()
		target.mu.Lock()
		target.transferTo = ""
		target.mu.Unlock()
		return err
	}
	c.log.Info().Str("target", target.id).Msg("attended transfer accepted by the transferee")
	return nil
}

// onNotify follows a transfer we asked for (message/sipfrag): once the
// new call is up we hang up ours (and the consultation call of an
// attended transfer, unless its remote hangs it up first as RFC 3891
// asks); a failure is reported on the call.
func (p *Phone) onNotify(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	c := p.callFor(req, tx)
	if c == nil {
		return
	}
	_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 200, "OK", nil))
	code, reason, ok := parseSipfrag(req.Body())
	if !ok {
		return
	}
	c.mu.Lock()
	to, consult, st := c.transferTo, c.consult, c.state
	c.mu.Unlock()
	if to == "" || code < 200 {
		return
	}
	if code >= 300 {
		c.log.Info().Int("status", code).Msg("transfer failed")
		c.mu.Lock()
		c.transferTo, c.consult = "", nil
		c.mu.Unlock()
		if consult != nil {
			consult.mu.Lock()
			consult.transferTo = ""
			consult.mu.Unlock()
		}
		c.setState(st, fmt.Sprintf("transfer failed: %d %s", code, reason))
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		c.hangUpSoon("transferred to " + to)
		if consult == nil {
			return
		}
		select {
		case <-consult.done:
		case <-time.After(3 * time.Second):
			consult.mu.Lock()
			r := consult.transferTo
			consult.mu.Unlock()
			consult.hangUpSoon("transferred to " + r)
		case <-p.ctx.Done():
		}
	}()
}

// onRefer takes a REFER from the remote (RFC 3515): 202, then NOTIFYs of
// how it goes. The new call is placed only once the page accepts
// (AcceptTransfer) or when the phone follows transfers at once
// (WithFollowRemoteTransfers, the admin policy's allowRemoteTransfer):
// otherwise anyone who can send a REFER through the PBX could make the
// agent's account dial anywhere. A REFER outside a call we have is 481;
// one without a usable Refer-To is 400; one while another is pending or
// being followed on the same call is 491.
func (p *Phone) onRefer(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	var c *Call
	if to := req.To(); to != nil && to.Params.Has("tag") {
		c = p.dialogCall(req)
	}
	if c == nil {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	if st := c.State().State; !inCall(st) {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 603, "Decline", nil))
		return
	}
	h := req.GetHeader("Refer-To")
	if h == nil {
		h = req.GetHeader("r")
	}
	if h == nil {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 400, "Missing Refer-To", nil))
		return
	}
	target, rep, err := parseReferTo(h.Value())
	if err != nil {
		c.log.Info().Err(err).Msg("REFER refused")
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 400, "Bad Refer-To", nil))
		return
	}
	rr := &remoteRefer{target: target, attended: rep != nil, decided: make(chan struct{})}
	if rep != nil {
		rr.hdrs = append(rr.hdrs, sipmsg.NewHeader("Replaces", rep.String()))
	}
	if rb := req.GetHeader("Referred-By"); rb != nil && len(rb.Value()) < 512 && !strings.ContainsAny(rb.Value(), "\r\n") {
		rr.hdrs = append(rr.hdrs, sipmsg.NewHeader("Referred-By", rb.Value()))
		rr.referredBy = displaySafe(rb.Value(), maxReferredBy)
	}
	c.mu.Lock()
	busy := c.remoteRefer != nil
	if !busy {
		c.remoteRefer = rr
	}
	c.mu.Unlock()
	if busy {
		c.log.Info().Msg("REFER refused: another transfer request of this call is pending")
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 491, "Request Pending", nil))
		return
	}
	if err := tx.Respond(sipmsg.NewResponseFromRequest(req, 202, "Accepted", nil)); err != nil {
		c.clearRemoteRefer(rr)
		return
	}
	c.log.Info().Str("target", target.String()).Bool("replaces", rep != nil).Bool("follow", p.refers.follow).
		Msg("transfer requested by the remote")
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer c.clearRemoteRefer(rr)
		// The transferor hears at once that the REFER is being
		// considered (RFC 6665 §4.2.1.2), whatever it waits for next.
		c.notifyRefer(100, "Trying", false)
		if p.refers.follow || c.awaitTransferConsent(rr) {
			c.followRefer(rr.target, rr.hdrs)
		}
	}()
}

// followRefer places the call a REFER asked for and reports it back.
func (c *Call) followRefer(target sipmsg.Uri, hdrs []sipmsg.Header) {
	p := c.p
	// The original call waits on hold while the new one sets up, as desk
	// phones do (it is usually held by the transferor already).
	held := false
	if c.State().State == StateConnected {
		hctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		if err := c.Hold(hctx); err != nil {
			c.log.Info().Err(err).Msg("could not hold the call being transferred")
		} else {
			held = true
		}
		cancel()
	}
	nc, err := p.dial(p.ctx, target, dialOptions{headers: hdrs, transferredFrom: c.id})
	if err != nil {
		c.log.Warn().Err(err).Msg("transfer: the new call could not be placed")
		c.notifyRefer(503, "Service Unavailable", true)
		c.transferFailed(held, target, "the new call could not be placed")
		return
	}
	select {
	case <-nc.connected:
	case <-nc.done:
	case <-p.ctx.Done():
		return
	}
	select {
	case <-nc.connected:
	default:
		nc.mu.Lock()
		code, reason := nc.finalCode, nc.reason
		nc.mu.Unlock()
		if code < 300 {
			code = 503
		}
		c.notifyRefer(code, statusText(code), true)
		c.transferFailed(held, target, reason)
		return
	}
	c.mu.Lock()
	c.transferTo = target.String()
	c.mu.Unlock()
	c.notifyRefer(200, "OK", true)
	// The transferor hangs up once it reads the 200; if it does not, we
	// do.
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
		c.hangUpSoon("transferred to " + target.String())
	case <-p.ctx.Done():
	}
}

// transferFailed takes the original call off hold and tells the page.
func (c *Call) transferFailed(held bool, target sipmsg.Uri, reason string) {
	if held {
		ctx, cancel := context.WithTimeout(c.p.ctx, 5*time.Second)
		if err := c.Resume(ctx); err != nil {
			c.log.Info().Err(err).Msg("could not resume after a failed transfer")
		}
		cancel()
	}
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	c.setState(st, "transfer to "+target.String()+" failed: "+reason)
}

// notifyRefer reports the progress of a transfer to the transferor
// (RFC 3515 §2.4.5); final ends the implicit subscription.
func (c *Call) notifyRefer(code int, reason string, final bool) {
	state := "active;expires=60"
	if final {
		state = "terminated;reason=noresource"
	}
	ctx, cancel := context.WithTimeout(c.p.ctx, 5*time.Second)
	defer cancel()
	body := fmt.Sprintf("SIP/2.0 %d %s\r\n", code, reason)
	res, err := c.inDialog(ctx, sipmsg.NOTIFY, []byte(body), "message/sipfrag;version=2.0",
		sipmsg.NewHeader("Event", "refer"), sipmsg.NewHeader("Subscription-State", state))
	switch {
	case err != nil:
		c.log.Info().Err(err).Int("status", code).Msg("transfer NOTIFY not delivered")
	case !res.IsSuccess():
		c.log.Info().Int("answer", res.StatusCode).Int("status", code).Msg("transfer NOTIFY refused")
	}
}

// matchReplaces finds the call an INVITE with Replaces names (RFC 3891
// §3): it returns the call, or the status to refuse the INVITE with.
// Only confirmed dialogs are replaced here.
func (p *Phone) matchReplaces(r replacesID) (*Call, int) {
	p.mu.Lock()
	cs := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		if c.sipCallID == r.callID {
			cs = append(cs, c)
		}
	}
	p.mu.Unlock()
	for _, c := range cs {
		c.mu.Lock()
		local, remote, ok := c.dialogTagsLocked()
		st, ended := c.state, c.endedLocked()
		c.mu.Unlock()
		if !ok || ended || local != r.toTag || remote != r.fromTag || !inCall(st) {
			continue
		}
		if r.earlyOnly {
			return nil, 486
		}
		return c, 0
	}
	return nil, 481
}

// sendRefer sends a REFER in the call's dialog, Referred-By us, and
// turns an answer other than 2xx into an error.
func (c *Call) sendRefer(ctx context.Context, referTo string) error {
	referredBy := c.p.aor()
	res, err := c.inDialog(ctx, sipmsg.REFER, nil, "",
		sipmsg.NewHeader("Refer-To", referTo),
		sipmsg.NewHeader("Referred-By", "<"+referredBy.String()+">"))
	if err != nil {
		return fmt.Errorf("REFER: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("REFER answered %d %s", res.StatusCode, res.Reason)
	}
	return nil
}

// EventCallTransferRequested: the remote asked to transfer a call
// (REFER) and the page decides (Call.AcceptTransfer, RejectTransfer).
const EventCallTransferRequested = "call.transferRequested"

// TransferRequest is the payload of call.transferRequested.
type TransferRequest struct {
	CallID string `json:"callId"`
	// Target is the Refer-To URI without its headers.
	Target string `json:"target"`
	// Attended: the REFER carries Replaces (the target's dialog with the
	// transferor, RFC 3891).
	Attended bool `json:"attended"`
	// ReferredBy is the REFER's Referred-By value (RFC 3892), as the
	// remote wrote it (unverified), capped.
	ReferredBy string `json:"referredBy,omitempty"`
}

// DefaultTransferConsentTimeout is how long the page has to decide on a
// transfer request before it is declined: under a REFER's own
// transaction lifetime (Timer F, 32 s on UDP), so that a transferor
// never waits longer for our NOTIFY than for any answer.
const DefaultTransferConsentTimeout = 30 * time.Second

// maxReferredBy caps TransferRequest.ReferredBy, in bytes.
const maxReferredBy = 256

// referPolicy is how a phone treats REFERs from the remote.
type referPolicy struct {
	follow         bool          // follow at once, without asking
	consentTimeout time.Duration // zero: DefaultTransferConsentTimeout
}

// WithFollowRemoteTransfers makes the phone follow a REFER from the
// remote at once, without asking the page: for an administrator who
// allows it (the policy's allowRemoteTransfer), never the page's choice.
func WithFollowRemoteTransfers() Option {
	return func(p *Phone) error { p.refers.follow = true; return nil }
}

// WithTransferConsentTimeout sets how long the page has to accept a
// transfer request before it is declined (default
// DefaultTransferConsentTimeout; tests shorten it).
func WithTransferConsentTimeout(d time.Duration) Option {
	return func(p *Phone) error {
		if d <= 0 {
			return fmt.Errorf("%w: transfer consent timeout %v", ErrConfig, d)
		}
		p.refers.consentTimeout = d
		return nil
	}
}

// remoteRefer is a REFER from the remote: waiting for the page's
// decision, then being followed. A call has at most one.
type remoteRefer struct {
	target     sipmsg.Uri
	hdrs       []sipmsg.Header // Replaces, Referred-By for the new INVITE
	attended   bool
	referredBy string
	// decided is closed once accept holds the decision (the page's, or
	// the timeout's refusal); set under the call's mu, once.
	decided chan struct{}
	accept  bool
	why     string // why it was declined, when not by the page
}

// decideLocked records the first decision; later ones are refused.
func (rr *remoteRefer) decideLocked(accept bool, why string) bool {
	select {
	case <-rr.decided:
		return false
	default:
	}
	rr.accept, rr.why = accept, why
	close(rr.decided)
	return true
}

// awaitTransferConsent offers the request to the page and waits for its
// decision, declining on its timeout: 603 in the final NOTIFY, and a
// call.state saying so. It reports whether to follow.
func (c *Call) awaitTransferConsent(rr *remoteRefer) bool {
	p := c.p
	timeout := p.refers.consentTimeout
	if timeout == 0 {
		timeout = DefaultTransferConsentTimeout
	}
	p.emit(EventCallTransferRequested, TransferRequest{CallID: c.id, Target: displaySafe(rr.target.String(), maxReferTo),
		Attended: rr.attended, ReferredBy: rr.referredBy})
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-rr.decided:
	case <-timer.C:
		c.mu.Lock()
		rr.decideLocked(false, "not answered within "+timeout.String())
		c.mu.Unlock()
	case <-c.done:
		return false
	case <-p.ctx.Done():
		return false
	}
	c.mu.Lock()
	accept, why, st := rr.accept, rr.why, c.state
	c.mu.Unlock()
	if accept {
		c.log.Info().Msg("transfer request accepted")
		return true
	}
	c.log.Info().Str("why", why).Msg("transfer request declined")
	c.notifyRefer(603, statusText(603), true)
	reason := "transfer to " + displaySafe(rr.target.String(), maxReferTo) + " declined"
	if why != "" {
		reason += ": " + why
	}
	c.setState(st, reason)
	return false
}

// AcceptTransfer follows the transfer the remote asked for
// (call.transferRequested): the new call is placed as RFC 3515 says.
// Without a pending request it is ErrWrongState.
func (c *Call) AcceptTransfer() error { return c.decideTransfer(true, "") }

// RejectTransfer declines the transfer the remote asked for: the
// transferor is told 603 and the call stays as it is.
func (c *Call) RejectTransfer() error { return c.decideTransfer(false, "") }

func (c *Call) decideTransfer(accept bool, why string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.remoteRefer == nil || !c.remoteRefer.decideLocked(accept, why) {
		return fmt.Errorf("%w: no transfer request is pending", ErrWrongState)
	}
	return nil
}

// clearRemoteRefer forgets rr once it is done with, so that the remote
// may ask again.
func (c *Call) clearRemoteRefer(rr *remoteRefer) {
	c.mu.Lock()
	if c.remoteRefer == rr {
		c.remoteRefer = nil
	}
	c.mu.Unlock()
}

// displaySafe makes a value from the wire fit for a page to show: valid
// UTF-8 without control or bidirectional-override characters (which
// could make one number look like another), at most max bytes.
func displaySafe(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20, r >= 0x7f && r < 0xa0, r == utf8.RuneError,
			r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0xfeff:
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
