// Package echo is the embedded loopback SIP service of `bpclient demo`
// and `make demo`: a registrar that accepts any account and an echo
// extension that answers every call and sends each RTP packet back where
// it came from. It is a test peer, not the product's SIP stack: the phone
// (package sip) never imports it.
package echo

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"
	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/sip"
	"github.com/openbpclient/bpclient/sip/internal/liblog"
)

// Server is the registrar and echo extension. It needs no PBX and no
// network beyond loopback.
type Server struct {
	ip  string
	pc  net.PacketConn
	ua  *sipgo.UserAgent
	srv *sipgo.Server
	cli *sipgo.Client
	wg  sync.WaitGroup

	// sdpVersion numbers our answers (RFC 4566 o= version): each one
	// differs from the one before.
	sdpVersion atomic.Uint64

	mu    sync.Mutex
	calls map[string]*echoCall
}

type echoCall struct {
	rtp, rtcp *net.UDPConn
	sess      *sipgo.DialogServerSession
}

// Start listens on ip (e.g. "127.0.0.1") on a free UDP port.
func Start(ip string) (*Server, error) {
	quiet := liblog.Sipgo(zerolog.Nop())
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("echo"),
		sipgo.WithUserAgentTransportLayerOptions(sipmsg.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sipmsg.WithTransactionLayerLogger(quiet)))
	if err != nil {
		return nil, fmt.Errorf("echo: sip user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("echo: sip server: %w", err)
	}
	pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("echo: listen: %w", err)
	}
	e := &Server{ip: ip, pc: pc, ua: ua, srv: srv, calls: map[string]*echoCall{}}
	addr := pc.LocalAddr().String()
	port := pc.LocalAddr().(*net.UDPAddr).Port
	e.cli, err = sipgo.NewClient(ua, sipgo.WithClientLogger(quiet), sipgo.WithClientHostname(ip),
		sipgo.WithClientConnectionAddr(addr), sipgo.WithClientPort(port))
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("echo: sip client: %w", err)
	}
	// The handlers are in place before serving starts: sipgo reads its
	// handler table without a lock.
	srv.OnRegister(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		res := sipmsg.NewResponseFromRequest(req, 200, "OK", nil)
		if c := req.Contact(); c != nil {
			exp := "600"
			if h := req.GetHeader("Expires"); h != nil {
				exp = h.Value()
			}
			cc := c.Clone()
			cc.Params = sipmsg.NewParams()
			cc.Params.Add("expires", exp)
			res.AppendHeader(cc)
		}
		_ = tx.Respond(res)
	})
	srv.OnOptions(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnInvite(e.onInvite)
	srv.OnAck(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		e.mu.Lock()
		c := e.calls[req.CallID().Value()]
		e.mu.Unlock()
		if c != nil {
			_ = c.sess.ReadAck(req, tx)
		}
	})
	srv.OnBye(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		e.mu.Lock()
		c := e.calls[req.CallID().Value()]
		delete(e.calls, req.CallID().Value())
		e.mu.Unlock()
		if c == nil {
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		if err := c.sess.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 200, "OK", nil))
		}
		c.rtp.Close()
		c.rtcp.Close()
	})
	e.wg.Add(1)
	go func() { defer e.wg.Done(); _ = srv.ServeUDP(pc) }()
	// sipgo adds the socket to its pool asynchronously: wait for it, or
	// the client would bind the same port again.
	deadline := time.Now().Add(2 * time.Second)
	for {
		if c, _ := ua.TransportLayer().GetConnection("udp", addr); c != nil {
			break
		}
		if time.Now().After(deadline) {
			e.Close()
			return nil, errors.New("echo: the server socket did not become ready")
		}
		time.Sleep(2 * time.Millisecond)
	}
	return e, nil
}

// Addr is the server's "ip:port".
func (e *Server) Addr() string { return e.pc.LocalAddr().String() }

func (e *Server) onInvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	offer, err := parseOffer(req.Body())
	if err != nil {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	if to := req.To(); to != nil && to.Params.Has("tag") {
		// A re-INVITE (hold, resume): answer in kind, keep echoing.
		e.mu.Lock()
		c := e.calls[req.CallID().Value()]
		e.mu.Unlock()
		if c == nil {
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		body, err := e.answer(offer, c.rtp, c.rtcp)
		if err != nil {
			_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
			return
		}
		res := sipmsg.NewSDPResponseFromRequest(req, body)
		ct := e.contact()
		res.AppendHeader(&ct)
		_ = tx.Respond(res)
		return
	}
	rtpC, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(e.ip)})
	if err != nil {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return
	}
	rtcpC, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(e.ip)})
	if err != nil {
		rtpC.Close()
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return
	}
	body, err := e.answer(offer, rtpC, rtcpC)
	if err != nil {
		rtpC.Close()
		rtcpC.Close()
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return
	}
	dua := &sipgo.DialogUA{Client: e.cli, ContactHDR: e.contact()}
	sess, err := dua.ReadInvite(req, tx)
	if err != nil {
		rtpC.Close()
		rtcpC.Close()
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	c := &echoCall{rtp: rtpC, rtcp: rtcpC, sess: sess}
	e.mu.Lock()
	e.calls[req.CallID().Value()] = c
	e.mu.Unlock()
	e.wg.Add(2)
	go func() { defer e.wg.Done(); echoPackets(rtpC) }()
	go func() { defer e.wg.Done(); drain(rtcpC) }()
	if err := sess.RespondSDP(body); err != nil {
		rtpC.Close()
		rtcpC.Close()
	}
}

// answer is our SDP answer to offer, naming the call's RTP and RTCP
// sockets (a=rtcp: the RTCP socket is not RTP's port+1 here).
func (e *Server) answer(o offer, rtp, rtcp *net.UDPConn) ([]byte, error) {
	return buildAnswer(o, answerParams{
		addr:     e.ip,
		rtpPort:  rtp.LocalAddr().(*net.UDPAddr).Port,
		rtcpPort: rtcp.LocalAddr().(*net.UDPAddr).Port,
		version:  e.sdpVersion.Add(1),
	})
}

func (e *Server) contact() sipmsg.ContactHeader {
	port := e.pc.LocalAddr().(*net.UDPAddr).Port
	return sipmsg.ContactHeader{Address: sipmsg.Uri{Scheme: "sip", User: "echo", Host: e.ip, Port: port}}
}

// echoPackets sends every packet back to its sender until c is closed.
func echoPackets(c *net.UDPConn) {
	buf := make([]byte, 1600)
	for {
		n, from, err := c.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		_, _ = c.WriteToUDP(buf[:n], from)
	}
}

func drain(c *net.UDPConn) {
	buf := make([]byte, 1600)
	for {
		if _, _, err := c.ReadFromUDP(buf); errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

// Close stops the server and every call's echo.
func (e *Server) Close() error {
	e.mu.Lock()
	for id, c := range e.calls {
		c.rtp.Close()
		c.rtcp.Close()
		delete(e.calls, id)
	}
	e.mu.Unlock()
	e.ua.Close()
	e.pc.Close()
	e.wg.Wait()
	return nil
}

// DemoConfig is the phone configuration that registers with e.
func (e *Server) DemoConfig() sip.Config {
	return sip.Config{Server: e.Addr(), Domain: e.ip, Username: "agent", Password: "demo", DisplayName: "bpclient demo",
		LocalIP: e.ip, QualityInterval: 5 * time.Second}
}

// Target is the echo extension's address, the one to call.
func (e *Server) Target() string { return fmt.Sprintf("sip:echo@%s", e.Addr()) }
