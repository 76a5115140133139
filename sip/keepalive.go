package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

// Keep-alives while registered. On TCP and TLS the phone sends the RFC
// 5626 §3.5.1 CRLF ping ("\r\n\r\n") on the registration's connection and
// expects the single CRLF pong; on UDP it sends OPTIONS. sipgo answers a
// server's pings itself but drops pongs silently, so a transport read
// filter counts them.
//
// A server that has never ponged may not implement RFC 5626: when a ping
// goes unanswered, an OPTIONS decides, and if the server answers that,
// the phone keeps alive with OPTIONS from then on. Once the server has
// ponged, a missing pong means the connection is lost.

// errNoPong is a CRLF ping that got no pong in time.
var errNoPong = errors.New("no CRLF pong")

// keepAliveFilter sees every read of every connection before sipgo parses
// it; a read of nothing but CR and LF on a stream is a pong (or the
// server's ping, which proves as much).
func (p *Phone) keepAliveFilter(info sipmsg.TransportReadProps, data []byte) ([]byte, error) {
	if !strings.EqualFold(info.Transport, "udp") && len(data) > 0 && len(data) <= 4 && len(bytes.Trim(data, "\r\n")) == 0 {
		p.pongs.Add(1)
		select {
		case p.pongWake <- struct{}{}:
		default:
		}
	}
	return data, nil
}

// ping keeps the registration's path alive and checks it.
func (p *Phone) ping(ctx context.Context) error {
	if p.cfg.Transport == "udp" || p.optionsOnly.Load() {
		return p.optionsPing(ctx)
	}
	err := p.crlfPing(ctx)
	if errors.Is(err, errNoPong) && p.pongs.Load() == 0 {
		if oerr := p.optionsPing(ctx); oerr == nil {
			p.optionsOnly.Store(true)
			p.log.Warn().Str("server", p.currentServer().String()).
				Msg("the server does not answer CRLF keep-alives (RFC 5626); keeping alive with OPTIONS")
			return nil
		}
	}
	return err
}

// crlfPing writes a double CRLF on the connection to the server and waits
// for the pong (RFC 5626 §4.4.1 allows it 10 s; RequestTimeout here).
func (p *Phone) crlfPing(ctx context.Context) error {
	srv := p.currentServer()
	w := p.serverConn(ctx, srv)
	if w == nil {
		// No connection to the server (yet): OPTIONS dials one.
		return p.optionsPing(ctx)
	}
	select {
	case <-p.pongWake: // a stale wake-up from an earlier pong
	default:
	}
	before := p.pongs.Load()
	if _, err := w.Write([]byte("\r\n\r\n")); err != nil {
		return fmt.Errorf("keep-alive to %s: %s", srv, sanitizeErr(err))
	}
	timer := time.NewTimer(p.cfg.RequestTimeout)
	defer timer.Stop()
	for p.pongs.Load() == before {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("%w from %s to a keep-alive", errNoPong, srv)
		case <-p.pongWake:
		}
	}
	p.log.Debug().Str("server", srv.String()).Msg("keep-alive pong")
	return nil
}

// serverConn is sipgo's connection to srv (by address, or by the
// addresses of its name), or nil.
func (p *Phone) serverConn(ctx context.Context, srv hostPort) io.Writer {
	addrs := []string{srv.String()}
	if net.ParseIP(srv.host) == nil {
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ips, err := net.DefaultResolver.LookupHost(lctx, srv.host)
		cancel()
		if err == nil {
			for _, ip := range ips {
				addrs = append(addrs, net.JoinHostPort(ip, strconv.Itoa(srv.port)))
			}
		}
	}
	for _, a := range addrs {
		c, err := p.ua.TransportLayer().GetConnection(p.cfg.Transport, a)
		if err != nil || c == nil {
			continue
		}
		if w, ok := c.(io.Writer); ok {
			return w
		}
	}
	return nil
}
