package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/openbpclient/bpclient/sip/siptls"
)

// Register starts keeping the account registered: it returns at once;
// progress arrives as registration.state events. Calling it again while
// registering restarts the attempt (after phone.configure or a failure).
func (p *Phone) Register() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ua == nil || p.closed {
		return errors.New("phone not started")
	}
	if p.regCancel != nil {
		p.regCancel()
	}
	ctx, cancel := context.WithCancel(p.ctx)
	done := make(chan struct{})
	p.regCancel, p.regDone = cancel, done
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(done)
		p.registerLoop(ctx)
	}()
	return nil
}

// Unregister stops refreshing and removes the binding (Expires: 0) when
// one exists. It waits for the removal at most until ctx ends.
func (p *Phone) Unregister(ctx context.Context) error {
	p.mu.Lock()
	cancel, done := p.regCancel, p.regDone
	p.regCancel, p.regDone = nil, nil
	wasRegistered := p.reg.State == Registered
	p.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	<-done
	var err error
	if wasRegistered {
		r := &registration{p: p, callID: sipmsg.CallIDHeader(randomHex(12))}
		_, err = r.once(ctx, 0)
	}
	p.setReg(RegistrationState{State: Unregistered, Reason: "unregistered by request"})
	return err
}

func (p *Phone) setReg(s RegistrationState) {
	p.mu.Lock()
	changed := p.reg.State != s.State || p.reg.Reason != s.Reason
	p.reg = s
	p.mu.Unlock()
	if changed {
		ev := p.log.Info()
		if s.State == Failed || s.State == Lost {
			ev = p.log.Warn()
		}
		ev.Str("state", s.State).Str("reason", s.Reason).Str("server", s.Server).Msg("registration")
		p.emit(EventRegistrationState, s)
	}
}

// registration is one registration session: one Call-ID, CSeq rising.
type registration struct {
	p      *Phone
	callID sipmsg.CallIDHeader
	cseq   uint32
	// the challenge we last answered, so that a second 401 with the same
	// realm and no stale flag reads as "wrong password", not a retry.
	lastNonce string
	nc        uint32
}

// regResult classifies one REGISTER round.
type regResult struct {
	expires int
	server  string
	// fatal errors stop the loop (wrong password, forbidden); others retry.
	fatal      bool
	reason     string
	retryAfter time.Duration
}

func (p *Phone) registerLoop(ctx context.Context) {
	r := &registration{p: p, callID: sipmsg.CallIDHeader(randomHex(12))}
	backoff := p.cfg.RetryMin
	everRegistered := false
	for {
		res, err := r.once(ctx, p.cfg.Expires)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			everRegistered = true
			backoff = p.cfg.RetryMin
			p.setReg(RegistrationState{State: Registered, Server: res.server, Expires: res.expires})
			if !p.holdRegistration(ctx, r, res.expires) {
				return
			}
			continue
		}
		if res.fatal {
			p.setReg(RegistrationState{State: Failed, Reason: res.reason, Server: res.server})
			return
		}
		state := Failed
		reason := res.reason
		if everRegistered {
			state = Lost
			reason = "the SIP phone lost its connection to the system: " + res.reason
		}
		p.setReg(RegistrationState{State: state, Reason: reason, Server: res.server})
		// A server that does not answer: try the next one.
		p.nextServer()
		wait := backoff
		if res.retryAfter > wait {
			wait = res.retryAfter
		}
		wait = spreadRetry(wait)
		backoff = min(backoff*2, p.cfg.RetryMax)
		r = &registration{p: p, callID: sipmsg.CallIDHeader(randomHex(12))}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// spreadRetry spreads d over [0.8d, 1.2d) so that many phones do not retry in
// step after an outage.
func spreadRetry(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// holdRegistration keeps a fresh binding alive: keep-alive pings until it
// is time to refresh. It returns true to refresh now, false when ctx ended.
// A ping that goes unanswered marks the registration lost.
func (p *Phone) holdRegistration(ctx context.Context, r *registration, expires int) bool {
	refresh := refreshAfter(expires)
	timer := time.NewTimer(refresh)
	defer timer.Stop()
	tick := time.NewTicker(p.cfg.KeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-tick.C:
			if err := p.ping(ctx); err != nil && ctx.Err() == nil {
				p.log.Warn().Err(err).Msg("keep-alive unanswered")
				p.setReg(RegistrationState{State: Lost, Reason: "the SIP phone lost its connection to the system: " + err.Error(), Server: p.currentServer().String()})
				return true
			}
		}
	}
}

// refreshAfter refreshes well before expiry: at half the lifetime for
// short ones, 60 s ahead for long ones.
func refreshAfter(expires int) time.Duration {
	d := time.Duration(expires) * time.Second
	if d > 240*time.Second {
		return d - 60*time.Second
	}
	return d / 2
}

// optionsPing sends OPTIONS to the server; any answer proves the path
// works.
func (p *Phone) optionsPing(ctx context.Context) error {
	srv := p.currentServer()
	req := sipmsg.NewRequest(sipmsg.OPTIONS, sipmsg.Uri{Scheme: p.cfg.scheme(), Host: p.cfg.Domain})
	req.SetDestination(srv.String())
	req.SetTransport(strings.ToUpper(p.cfg.Transport))
	req.AppendHeader(p.fromHeader())
	to := &sipmsg.ToHeader{Address: sipmsg.Uri{Scheme: p.cfg.scheme(), Host: p.cfg.Domain}}
	req.AppendHeader(to)
	ct := p.contactHeader()
	req.AppendHeader(&ct)
	rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	defer cancel()
	_, err := p.cli.Do(rctx, req)
	if err != nil {
		return fmt.Errorf("no answer from %s to a keep-alive", srv)
	}
	return nil
}

// once sends one REGISTER (answering one challenge when asked) and
// returns the granted lifetime. expires 0 removes the binding.
func (r *registration) once(ctx context.Context, expires int) (regResult, error) {
	p := r.p
	srv := p.currentServer()
	res := regResult{server: srv.String()}
	if err := p.prepareTLS(ctx, srv); err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.reason, res.fatal = tlsFailure(srv, err)
		return res, errors.New(res.reason)
	}
	var authHdr sipmsg.Header
	for attempt := 0; attempt < 3; attempt++ {
		req := r.build(srv, expires, authHdr)
		rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
		resp, err := p.cli.Do(rctx, req)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			if d := siptls.Describe(err); d != "" {
				// A refused certificate is not retried: no fallback.
				res.fatal = true
				res.reason = "TLS to " + srv.String() + " refused: " + d
				return res, errors.New(res.reason)
			}
			res.reason = "no answer from " + srv.String()
			if !errors.Is(err, context.DeadlineExceeded) {
				res.reason += " (" + sanitizeErr(err) + ")"
			}
			return res, errors.New(res.reason)
		}
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			if expires == 0 {
				return res, nil
			}
			res.expires = grantedExpires(resp, p.contactHeader(), expires)
			if p.learnContact(resp) {
				// Our public address differs from what we advertised:
				// register again with the address the server sees.
				authHdr = nil
				continue
			}
			return res, nil
		case resp.StatusCode == 401 || resp.StatusCode == 407:
			ch, aname, err := challengeOf(resp)
			if err != nil {
				res.fatal = true
				res.reason = fmt.Sprintf("the server asks for an authentication we cannot do (%d): %v", resp.StatusCode, err)
				return res, errors.New(res.reason)
			}
			if err := p.checkRealm(ch); err != nil {
				res.fatal = true
				res.reason = err.Error()
				return res, errors.New(res.reason)
			}
			if authHdr != nil && !ch.stale {
				res.fatal = true
				res.reason = fmt.Sprintf("authentication failed: wrong username or password (%d %s)", resp.StatusCode, resp.Reason)
				return res, errors.New(res.reason)
			}
			if ch.nonce != r.lastNonce {
				r.lastNonce, r.nc = ch.nonce, 0
			}
			r.nc++
			cred := credentials{username: p.cfg.AuthUsername, password: p.cfg.Password}
			authHdr = sipmsg.NewHeader(aname, cred.authorize(ch, "REGISTER", req.Recipient.String(), r.nc, ""))
			continue
		case resp.StatusCode == 423:
			// Interval too brief: use the server's Min-Expires.
			if h := resp.GetHeader("Min-Expires"); h != nil {
				if v, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && v > expires && v <= 86400 {
					expires = v
					continue
				}
			}
			res.fatal = true
			res.reason = "the server refused the registration interval (423)"
			return res, errors.New(res.reason)
		case resp.StatusCode == 403 || resp.StatusCode == 404:
			res.fatal = true
			res.reason = fmt.Sprintf("the server refused the account (%d %s)", resp.StatusCode, resp.Reason)
			return res, errors.New(res.reason)
		default:
			res.reason = fmt.Sprintf("the server answered %d %s", resp.StatusCode, resp.Reason)
			if h := resp.GetHeader("Retry-After"); h != nil {
				if v, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(h.Value(), ";", 2)[0])); err == nil && v > 0 && v < 3600 {
					res.retryAfter = time.Duration(v) * time.Second
				}
			}
			return res, errors.New(res.reason)
		}
	}
	res.reason = "the server keeps challenging"
	res.fatal = true
	return res, errors.New(res.reason)
}

func (r *registration) build(srv hostPort, expires int, auth sipmsg.Header) *sipmsg.Request {
	p := r.p
	req := sipmsg.NewRequest(sipmsg.REGISTER, sipmsg.Uri{Scheme: p.cfg.scheme(), Host: p.cfg.Domain})
	req.SetDestination(srv.String())
	req.SetTransport(strings.ToUpper(p.cfg.Transport))
	from := p.fromHeader()
	from.Params = sipmsg.NewParams()
	from.Params.Add("tag", string(r.callID)[:8])
	req.AppendHeader(from)
	req.AppendHeader(&sipmsg.ToHeader{Address: p.aor()})
	cid := r.callID
	req.AppendHeader(&cid)
	r.cseq++
	req.AppendHeader(&sipmsg.CSeqHeader{SeqNo: r.cseq, MethodName: sipmsg.REGISTER})
	mf := sipmsg.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	ct := p.contactHeader()
	req.AppendHeader(&ct)
	req.AppendHeader(sipmsg.NewHeader("Expires", strconv.Itoa(expires)))
	req.AppendHeader(sipmsg.NewHeader("Allow", allowMethods))
	req.AppendHeader(sipmsg.NewHeader("User-Agent", "bpclient"))
	if auth != nil {
		req.AppendHeader(auth)
	}
	return req
}

// grantedExpires reads the lifetime the server granted our contact: its
// Contact expires parameter, else the Expires header, else what we asked.
func grantedExpires(resp *sipmsg.Response, ours sipmsg.ContactHeader, asked int) int {
	for _, h := range resp.GetHeaders("Contact") {
		c, ok := h.(*sipmsg.ContactHeader)
		if !ok {
			continue
		}
		if c.Address.Host == ours.Address.Host && c.Address.Port == ours.Address.Port && c.Address.User == ours.Address.User {
			if v, ok := c.Params.Get("expires"); ok {
				if n, err := strconv.Atoi(v); err == nil && n > 0 {
					return n
				}
			}
		}
	}
	if h := resp.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > 0 {
			return n
		}
	}
	return asked
}

// learnContact applies rport/received (RFC 3581) from the response's Via:
// when the server saw us at another address, advertise that one. It
// reports whether the contact changed.
func (p *Phone) learnContact(resp *sipmsg.Response) bool {
	via := resp.Via()
	if via == nil || p.cfg.Transport != "udp" {
		return false
	}
	recv, _ := via.Params.Get("received")
	rport, _ := via.Params.Get("rport")
	p.mu.Lock()
	defer p.mu.Unlock()
	next := p.contact
	if recv != "" && net.ParseIP(recv) != nil {
		next.host = recv
	}
	if n, err := strconv.Atoi(rport); err == nil && n > 0 && n < 65536 {
		next.port = n
	}
	if next == p.contact {
		return false
	}
	p.log.Info().Str("contact", next.String()).Msg("server sees us at another address (rport/received); re-registering")
	p.contact = next
	return true
}

// sanitizeErr keeps transport error text short and free of message dumps.
func sanitizeErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// orderSRV sorts SRV records by priority, then by weight (heaviest first).
func orderSRV(in []*net.SRV) []*net.SRV {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b *net.SRV) int {
		if a.Priority != b.Priority {
			return int(a.Priority) - int(b.Priority)
		}
		return int(b.Weight) - int(a.Weight)
	})
	return out
}
