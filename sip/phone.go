package sip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"
	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/sip/dtlssrtp"
	"github.com/openbpclient/bpclient/sip/internal/liblog"
	"github.com/openbpclient/bpclient/sip/media"
)

// Phone is one configured SIP account: its transport, its registration
// and its calls. It owns every goroutine it starts; Close ends them all.
type Phone struct {
	cfg    Config
	log    zerolog.Logger
	emit   EventFunc
	codecs []codec.Codec
	audio  AudioFactory
	lookup srvLookup
	refers referPolicy // REFERs from the remote (transfer.go)
	clock  media.Clock // what every call's media engine reads the time from
	// dtlsCert is the DTLS-SRTP identity of this phone (secure mode): made
	// once per configuration, its fingerprint in every DTLS call's SDP.
	dtlsCert *dtlssrtp.Certificate

	ua  *sipgo.UserAgent
	srv *sipgo.Server
	cli *sipgo.Client

	// peers is who may send us SIP (trust.go), set before serving;
	// drops counts what others sent.
	peers *peerSet
	drops *dropCounter

	localIP   string
	localPort int
	listener  io.Closer // the SIP socket; sipgo does not close it

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// waitMu orders updates of the call-waiting tone (waiting.go).
	waitMu sync.Mutex
	// keep-alive state (keepalive.go)
	pongs       atomic.Uint64 // CRLF pongs read on TCP and TLS connections
	pongWake    chan struct{}
	optionsOnly atomic.Bool // the server does not answer CRLF pings

	mu        sync.Mutex
	started   bool
	closed    bool
	regCancel context.CancelFunc
	regDone   chan struct{}
	reg       RegistrationState
	contact   hostPort // what we advertise (learned from rport/received)
	calls     map[string]*Call
	ringing   int        // inbound calls holding a ringing slot (reserveRinging)
	servers   []hostPort // resolved targets, in the order to try
	serverIdx int
}

type hostPort struct {
	host string
	port int
}

func (h hostPort) String() string { return net.JoinHostPort(h.host, strconv.Itoa(h.port)) }

// Option configures a Phone.
type Option func(*Phone) error

// WithLogger sets the phone's logger. Passwords, digest responses and
// message bodies are never logged.
func WithLogger(l zerolog.Logger) Option {
	return func(p *Phone) error { p.log = l; return nil }
}

// WithEvents sets the callback that receives the phone's events.
func WithEvents(f EventFunc) Option {
	return func(p *Phone) error { p.emit = f; return nil }
}

// WithCodecs lists the codecs the phone may use. Config.Codecs picks and
// orders them by name; with no Config.Codecs, this order is used.
func WithCodecs(cs ...codec.Codec) Option {
	return func(p *Phone) error { p.codecs = append(p.codecs, cs...); return nil }
}

// WithAudio sets where a connected call gets its microphone and puts its
// speaker audio. Without it, calls send silence and drop what they hear.
func WithAudio(f AudioFactory) Option {
	return func(p *Phone) error { p.audio = f; return nil }
}

// WithSRVLookup replaces DNS SRV lookups (for tests).
func WithSRVLookup(f func(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)) Option {
	return func(p *Phone) error { p.lookup = f; return nil }
}

type srvLookup func(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)

// New checks cfg and returns a Phone that is not started yet.
func New(cfg Config, opts ...Option) (*Phone, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Phone{
		cfg:      cfg,
		log:      zerolog.Nop(),
		emit:     func(string, any) {},
		calls:    make(map[string]*Call),
		reg:      RegistrationState{State: Unregistered},
		pongWake: make(chan struct{}, 1),
		lookup:   net.DefaultResolver.LookupSRV,
		clock:    media.WallClock(),
	}
	p.drops = p.newDropCounter()
	for _, o := range opts {
		if err := o(p); err != nil {
			return nil, err
		}
	}
	if _, err := p.offerCodecs(); err != nil {
		return nil, err
	}
	if cfg.Secure() {
		if p.dtlsCert, err = dtlssrtp.NewCertificate(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Config returns the phone's configuration with the password removed.
func (p *Phone) Config() Config {
	c := p.cfg
	c.Password = ""
	return c
}

// Start resolves the servers, binds the SIP socket and starts serving. It
// returns once the phone can send and receive.
func (p *Phone) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.started || p.closed {
		p.mu.Unlock()
		return errors.New("phone already started")
	}
	p.started = true
	p.mu.Unlock()

	servers, err := p.resolveServers(ctx)
	if err != nil {
		return err
	}
	p.servers = servers
	p.peers = p.buildPeers(ctx, servers)

	localIP := p.cfg.LocalIP
	if localIP == "" {
		localIP, err = routeIP(servers[0].host)
		if err != nil {
			return fmt.Errorf("find local address: %w", err)
		}
	}
	p.localIP = localIP

	sipgoLog := liblog.Sipgo(p.log)
	uaOpts := []sipgo.UserAgentOption{
		sipgo.WithUserAgent(p.cfg.Username),
		sipgo.WithUserAgentHostname(p.cfg.Domain),
		sipgo.WithUserAgentTransportLayerOptions(sipmsg.WithTransportLayerLogger(sipgoLog),
			sipmsg.WithTransportLayerReadFilter(p.sipFilter)),
		sipgo.WithUserAgentTransactionLayerOptions(sipmsg.WithTransactionLayerLogger(sipgoLog)),
	}
	if p.cfg.Transport == "tls" {
		// Secure mode (issue 5): the server's certificate is verified
		// (siptls); sipgo dials TLS and takes requests on that connection.
		tc, err := p.cfg.tlsConfig()
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		uaOpts = append(uaOpts, sipgo.WithUserAgenTLSConfig(tc))
	}
	ua, err := sipgo.NewUA(uaOpts...)
	if err != nil {
		return fmt.Errorf("sip user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipgoLog))
	if err != nil {
		ua.Close()
		return fmt.Errorf("sip server: %w", err)
	}
	p.ua, p.srv = ua, srv
	p.ctx, p.cancel = context.WithCancel(context.Background())

	// Everything the request handlers read (client, contact, handler
	// table) is set before the first Serve starts: sipgo reads its
	// handler map without a lock, from the goroutines Serve starts.
	var serve func()
	clientOpts := []sipgo.ClientOption{sipgo.WithClientLogger(sipgoLog), sipgo.WithClientHostname(localIP), sipgo.WithClientNAT()}
	switch p.cfg.Transport {
	case "udp":
		pc, err := net.ListenPacket("udp", net.JoinHostPort(localIP, "0"))
		if err != nil {
			p.closeUA()
			return fmt.Errorf("listen udp: %w", err)
		}
		p.localPort = pc.LocalAddr().(*net.UDPAddr).Port
		p.listener = pc
		serve = func() { _ = srv.ServeUDP(pc) }
		clientOpts = append(clientOpts, sipgo.WithClientConnectionAddr(pc.LocalAddr().String()), sipgo.WithClientPort(p.localPort))
	case "tcp":
		ln, err := net.Listen("tcp", net.JoinHostPort(localIP, "0"))
		if err != nil {
			p.closeUA()
			return fmt.Errorf("listen tcp: %w", err)
		}
		p.localPort = ln.Addr().(*net.TCPAddr).Port
		p.listener = ln
		serve = func() { _ = srv.ServeTCP(peerListener{Listener: ln, peers: p.peers, drops: p.drops}) }
	}
	cli, err := sipgo.NewClient(ua, clientOpts...)
	if err != nil {
		p.closeUA()
		return fmt.Errorf("sip client: %w", err)
	}
	p.cli = cli
	p.mu.Lock()
	p.contact = hostPort{localIP, p.localPort}
	p.mu.Unlock()

	srv.OnInvite(p.onInvite)
	srv.OnAck(p.onAck)
	srv.OnBye(p.onBye)
	srv.OnCancel(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		// The transaction layer matches CANCEL to its INVITE; one that
		// matches nothing ends here.
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	})
	srv.OnOptions(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		res := sipmsg.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sipmsg.NewHeader("Allow", allowMethods))
		res.AppendHeader(sipmsg.NewHeader("Accept", "application/sdp"))
		res.AppendHeader(sipmsg.NewHeader("Supported", "replaces"))
		_ = tx.Respond(res)
	})
	srv.OnInfo(p.onInfo)
	srv.OnRefer(p.onRefer)
	srv.OnNotify(p.onNotify)
	srv.OnUpdate(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 501, "Not Implemented", nil))
	})

	if serve != nil {
		p.wg.Add(1)
		go func() { defer p.wg.Done(); serve() }()
	}
	if p.cfg.Transport == "udp" {
		// sipgo adds the socket to its pool asynchronously: wait for it,
		// or the client would bind the same port again.
		addr := p.listener.(net.PacketConn).LocalAddr().String()
		deadline := time.Now().Add(2 * time.Second)
		for {
			if c, _ := ua.TransportLayer().GetConnection("udp", addr); c != nil {
				break
			}
			if time.Now().After(deadline) {
				p.closeUA()
				return errors.New("udp socket did not become ready")
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	p.log.Info().Str("transport", p.cfg.Transport).Str("local", net.JoinHostPort(localIP, strconv.Itoa(p.localPort))).
		Str("servers", fmt.Sprint(servers)).Str("aor", p.cfg.Username+"@"+p.cfg.Domain).Msg("phone started")
	return nil
}

const allowMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY"

func (p *Phone) closeUA() {
	if p.cancel != nil {
		p.cancel()
	}
	if p.ua != nil {
		p.ua.Close()
	}
	if p.listener != nil {
		p.listener.Close()
	}
	p.wg.Wait()
}

// Close hangs up every call, unregisters (bounded by ctx) and stops.
func (p *Phone) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	started := p.ua != nil
	calls := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	p.mu.Unlock()
	if !started {
		return nil
	}
	for _, c := range calls {
		_ = c.Hangup(ctx)
	}
	for _, c := range calls {
		c.wait(ctx)
	}
	_ = p.Unregister(ctx)
	p.closeUA()
	return nil
}

// Registration returns the current registration state.
func (p *Phone) Registration() RegistrationState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reg
}

// LocalAddr is the SIP address the phone listens on.
func (p *Phone) LocalAddr() string {
	return net.JoinHostPort(p.localIP, strconv.Itoa(p.localPort))
}

func (p *Phone) aor() sipmsg.Uri {
	return sipmsg.Uri{Scheme: p.cfg.scheme(), User: p.cfg.Username, Host: p.cfg.Domain}
}

func (p *Phone) contactHeader() sipmsg.ContactHeader {
	p.mu.Lock()
	c := p.contact
	p.mu.Unlock()
	u := sipmsg.Uri{Scheme: p.cfg.scheme(), User: p.cfg.Username, Host: c.host, Port: c.port}
	// A sips: URI says TLS by itself (RFC 5630 §3.2 deprecates
	// transport=tls).
	if p.cfg.Transport != "udp" && !p.cfg.SIPS {
		u.UriParams = sipmsg.NewParams()
		u.UriParams.Add("transport", p.cfg.Transport)
	}
	return sipmsg.ContactHeader{Address: u}
}

func (p *Phone) fromHeader() *sipmsg.FromHeader {
	f := &sipmsg.FromHeader{DisplayName: p.cfg.DisplayName, Address: p.aor(), Params: sipmsg.NewParams()}
	f.Params.Add("tag", sipmsg.GenerateTagN(16))
	return f
}

// currentServer is where out-of-dialog requests go: the outbound proxy
// when set, else the server in use.
func (p *Phone) currentServer() hostPort {
	if p.cfg.OutboundProxy != "" {
		h, port, _ := splitHostPort(p.cfg.OutboundProxy)
		if port == 0 {
			port = p.cfg.defaultPort()
		}
		return hostPort{h, port}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.servers[p.serverIdx%len(p.servers)]
}

func (p *Phone) nextServer() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.servers) > 1 {
		p.serverIdx = (p.serverIdx + 1) % len(p.servers)
	}
}

// resolveServers expands the configured servers into host:port targets:
// explicit ports as given, IP literals on 5060, names through SRV first.
func (p *Phone) resolveServers(ctx context.Context) ([]hostPort, error) {
	var out []hostPort
	for _, s := range p.cfg.servers() {
		host, port, _ := splitHostPort(s)
		if port != 0 || net.ParseIP(host) != nil {
			if port == 0 {
				port = p.cfg.defaultPort()
			}
			out = append(out, hostPort{host, port})
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		service, proto := "sip", p.cfg.Transport
		if proto == "tls" {
			service, proto = "sips", "tcp" // RFC 3263 §4.1
		}
		_, srvs, err := p.lookup(lctx, service, proto, host)
		cancel()
		if err == nil && len(srvs) > 0 {
			for _, r := range orderSRV(srvs) {
				out = append(out, hostPort{trimDot(r.Target), int(r.Port)})
			}
			continue
		}
		out = append(out, hostPort{host, p.cfg.defaultPort()})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no server", ErrConfig)
	}
	return out, nil
}

func trimDot(s string) string {
	if n := len(s); n > 0 && s[n-1] == '.' {
		return s[:n-1]
	}
	return s
}

// routeIP is the local address the OS would use to reach host.
func routeIP(host string) (string, error) {
	c, err := net.Dial("udp", net.JoinHostPort(host, "5060"))
	if err != nil {
		return "", err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP.String(), nil
}
