// Package sip is bpclient's SIP user agent: registration, calls, SDP
// offer/answer and RTP media, built on github.com/emiago/sipgo and pion.
// It knows nothing of browsers: a caller (helper/phoneapi) configures a
// Phone, drives it, and receives its events through a callback.
package sip

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openbpclient/bpclient/sip/sdes"
	"github.com/openbpclient/bpclient/sip/siptls"
)

// Config is what phone.configure carries. The password lives here, in
// memory only; it is never logged or put into an event.
type Config struct {
	// Server is "host[:port]", or several separated by commas (tried in
	// order, the next one when one stops answering). A host without a port
	// is looked up with DNS SRV first (_sip._udp, _sip._tcp), then A/AAAA.
	// A "sips:" before a server ("sips:pbx.example.com") turns SIPS on.
	Server        string
	Transport     string // "udp" (default), "tcp", "tls" (the only one in secure mode)
	Domain        string // the AOR's domain; default: the first server's host
	Username      string
	AuthUsername  string // default: Username
	Password      string
	DisplayName   string
	Expires       int // seconds asked for in REGISTER; default 600
	Codecs        []string
	OutboundProxy string // "host[:port]": every request goes there first
	// AuthRealm is the digest realm secure mode answers when the server's
	// is not Domain (some PBXs name their realm apart from the SIP
	// domain); secure mode sends no digest for any other realm.
	AuthRealm string

	// Mode is "softphone" (default) or "secure" (issue 5): secure mode
	// signals only over TLS and carries media only as SRTP, keyed by SDES
	// or DTLS-SRTP (Keying); it never falls back to plain SIP or RTP.
	Mode string
	// CAFile and CAPEM add a CA to the system roots for verifying the TLS
	// server (policy or configuration); TLSServerName, when set, is the
	// name the certificate must carry; without it, the certificate must
	// be valid for Domain or a host typed in Server (never merely for the
	// target a DNS SRV answer named: RFC 5922 §4.2).
	CAFile, CAPEM, TLSServerName string
	// PolicyCAFile and PolicyCAPEM are the CA of the administrator's
	// policy (helper/policy), trusted beside the system roots and CAFile/
	// CAPEM; the agent fills them in, the page cannot.
	PolicyCAFile, PolicyCAPEM string
	// TLSNoSystemRoots trusts only CAFile/CAPEM (a policy may want it).
	TLSNoSystemRoots bool
	// SIPS makes our URIs sips: (RFC 3261 §19.1, RFC 5630): the
	// Request-URIs, To, From and Contact of what we send, for servers that
	// require them. It needs transport tls (and implies it when none is
	// given); true when Server names a server as "sips:host".
	SIPS bool
	// SRTPSuites are the SRTP suites offered and accepted in secure mode,
	// in order of preference, for SDES and DTLS-SRTP keying alike; empty:
	// sdes.DefaultSuites().
	SRTPSuites []string
	// Keying is how secure mode keys SRTP in the calls it places, and
	// which method it prefers when an incoming offer allows both: "sdes"
	// (default, a=crypto, RFC 4568) or "dtls" (DTLS-SRTP, RFC 5763/5764).
	// An incoming offer with only one of them is answered with that one.
	Keying string

	// TrustedPeers are who may send us SIP besides the servers and the
	// outbound proxy: "host" (any port), "host:port" or a CIDR prefix
	// ("10.0.0.0/24"). Everything else is dropped unanswered (trust.go).
	TrustedPeers []string
	// MaxRingingCalls caps the inbound calls ringing at once; the next
	// gets 486 Busy Here. Zero: 4.
	MaxRingingCalls int
	// RingTimeout ends an inbound call not answered in time (480 to the
	// caller, call.state ended "not answered in time (ring timeout)").
	// Zero: 120 s.
	RingTimeout time.Duration

	// LocalIP is the address to bind and advertise; default: the one the
	// OS routes to the first server from.
	LocalIP string
	// RTPPortMin and RTPPortMax bound the local RTP ports (even ports,
	// RTCP on the next odd one). Zero means 10000-20000.
	RTPPortMin, RTPPortMax int
	// KeepAlive is how often the server is pinged while registered: a
	// CRLF ping (RFC 5626) on TCP and TLS, OPTIONS on UDP; a missed answer
	// means the connection is lost. Zero: 30 s.
	KeepAlive time.Duration
	// RequestTimeout bounds one REGISTER or OPTIONS round; zero: 5 s.
	RequestTimeout time.Duration
	// RetryMin and RetryMax bound the backoff between registration
	// attempts after a failure; zero: 1 s and 60 s.
	RetryMin, RetryMax time.Duration
	// NoMediaTimeout is how long a connected call may go without RTP
	// before network.issue is raised; zero: 3 s.
	NoMediaTimeout time.Duration
	// QualityInterval is the period of quality.report; zero: 5 s.
	QualityInterval time.Duration
	// ToneCountry picks the local call-progress tones (ringback): "us"
	// (default) or "eu".
	ToneCountry string
	// Thresholds make quality.warning fire; zero fields take the defaults
	// (RTT 240 ms, jitter 20 ms, loss 2%).
	Thresholds Thresholds
	// DSCP marks RTP packets (IP TOS >> 2); zero means EF (46); -1 none.
	DSCP int
	// RTPLatching says whether a call's media may latch to another port
	// of the IP its SDP named (a peer behind a NAT; latch.go):
	// RTPLatchingSignalledIP (default, "") or RTPLatchingOff.
	RTPLatching string
}

// ErrConfig wraps every configuration problem.
var ErrConfig = errors.New("invalid phone configuration")

func (c Config) withDefaults() (Config, error) {
	c.Mode = strings.ToLower(c.Mode)
	switch c.Mode {
	case "":
		c.Mode = ModeSoftphone
	case ModeSoftphone, ModeSecure:
	default:
		return c, fmt.Errorf("%w: mode %q (want softphone or secure)", ErrConfig, c.Mode)
	}
	if servers, sips := stripSIPS(c.Server); sips {
		c.Server, c.SIPS = servers, true
	}
	c.Transport = strings.ToLower(c.Transport)
	if c.Transport == "" && c.SIPS {
		c.Transport = "tls"
	}
	if c.Transport == "" {
		c.Transport = "udp"
		if c.Mode == ModeSecure {
			c.Transport = "tls"
		}
	}
	switch c.Transport {
	case "udp", "tcp", "tls":
	default:
		return c, fmt.Errorf("%w: transport %q (want udp, tcp or tls)", ErrConfig, c.Transport)
	}
	if c.Mode == ModeSecure {
		if c.Transport != "tls" {
			return c, fmt.Errorf("%w: secure mode signals only over tls, not %s", ErrConfig, c.Transport)
		}
		if len(c.SRTPSuites) == 0 {
			c.SRTPSuites = sdes.DefaultSuites()
		}
		for _, s := range c.SRTPSuites {
			if _, ok := sdes.LookupSuite(s); !ok {
				return c, fmt.Errorf("%w: srtp suite %q (want %s)", ErrConfig, s, strings.Join(sdes.DefaultSuites(), ", "))
			}
		}
		c.Keying = strings.ToLower(c.Keying)
		switch c.Keying {
		case "":
			c.Keying = KeyingSDES
		case KeyingSDES, KeyingDTLS:
		default:
			return c, fmt.Errorf("%w: keying %q (want sdes or dtls)", ErrConfig, c.Keying)
		}
	} else if c.Keying != "" {
		return c, fmt.Errorf("%w: keying %q applies to secure mode only", ErrConfig, c.Keying)
	}
	if c.SIPS && c.Transport != "tls" {
		return c, fmt.Errorf("%w: sips: URIs need transport tls, not %s", ErrConfig, c.Transport)
	}
	if strings.TrimSpace(c.Server) == "" {
		return c, fmt.Errorf("%w: server is empty", ErrConfig)
	}
	for _, s := range c.servers() {
		if _, _, err := splitHostPort(s); err != nil {
			return c, fmt.Errorf("%w: server %q: %v", ErrConfig, s, err)
		}
	}
	if c.OutboundProxy != "" {
		if _, _, err := splitHostPort(c.OutboundProxy); err != nil {
			return c, fmt.Errorf("%w: outboundProxy %q: %v", ErrConfig, c.OutboundProxy, err)
		}
	}
	for _, t := range c.TrustedPeers {
		if err := parseTrustedPeer(t); err != nil {
			return c, fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	if c.MaxRingingCalls == 0 {
		c.MaxRingingCalls = 4
	}
	if c.MaxRingingCalls < 1 || c.MaxRingingCalls > 100 {
		return c, fmt.Errorf("%w: maxRingingCalls %d (want 1..100)", ErrConfig, c.MaxRingingCalls)
	}
	if c.Username == "" {
		return c, fmt.Errorf("%w: username is empty", ErrConfig)
	}
	if strings.ContainsAny(c.Username, "@:;<> \t\r\n\"") {
		return c, fmt.Errorf("%w: username has characters a SIP user part cannot hold", ErrConfig)
	}
	if c.AuthUsername == "" {
		c.AuthUsername = c.Username
	}
	if strings.ContainsAny(c.DisplayName, "\"\r\n\\") {
		return c, fmt.Errorf("%w: displayName has quotes, backslashes or line breaks", ErrConfig)
	}
	if c.Domain == "" {
		h, _, _ := splitHostPort(c.servers()[0])
		c.Domain = h
	}
	if strings.ContainsAny(c.Domain, "@;<> \t\r\n\"") {
		return c, fmt.Errorf("%w: domain %q", ErrConfig, c.Domain)
	}
	if c.Transport == "tls" {
		if _, err := c.tlsConfig(); err != nil {
			return c, fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	if c.Expires == 0 {
		c.Expires = 600
	}
	if c.Expires < 10 || c.Expires > 86400 {
		return c, fmt.Errorf("%w: expires %d (want 10..86400 seconds)", ErrConfig, c.Expires)
	}
	switch c.RTPLatching {
	case "":
		c.RTPLatching = RTPLatchingSignalledIP
	case RTPLatchingSignalledIP, RTPLatchingOff:
	default:
		return c, fmt.Errorf("%w: rtpLatching %q (want %s or %s)", ErrConfig, c.RTPLatching, RTPLatchingSignalledIP, RTPLatchingOff)
	}
	if c.RTPPortMin == 0 && c.RTPPortMax == 0 {
		c.RTPPortMin, c.RTPPortMax = 10000, 20000
	}
	if c.RTPPortMin < 1024 || c.RTPPortMax > 65534 || c.RTPPortMax-c.RTPPortMin < 2 {
		return c, fmt.Errorf("%w: rtp port range %d-%d", ErrConfig, c.RTPPortMin, c.RTPPortMax)
	}
	if c.LocalIP != "" && net.ParseIP(c.LocalIP) == nil {
		return c, fmt.Errorf("%w: localIP %q", ErrConfig, c.LocalIP)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.KeepAlive, 30*time.Second)
	def(&c.RequestTimeout, 5*time.Second)
	def(&c.RetryMin, time.Second)
	def(&c.RetryMax, 60*time.Second)
	def(&c.NoMediaTimeout, 3*time.Second)
	def(&c.QualityInterval, 5*time.Second)
	def(&c.RingTimeout, 120*time.Second)
	if c.RetryMax < c.RetryMin {
		c.RetryMax = c.RetryMin
	}
	if c.DSCP == 0 {
		c.DSCP = 46
	}
	return c, nil
}

// Modes of Config.Mode.
const (
	ModeSoftphone = "softphone"
	ModeSecure    = "secure"
)

// SRTP keying methods of Config.Keying and CallState.Keying.
const (
	KeyingSDES = "sdes"
	KeyingDTLS = "dtls"
)

// Secure reports whether the configuration is secure mode.
func (c Config) Secure() bool { return c.Mode == ModeSecure }

// tlsConfig is the TLS client configuration of transport tls.
// The certificate must carry TLSServerName, else the domain or a host
// typed in Server: never merely the host an SRV answer named.
func (c Config) tlsConfig() (*tls.Config, error) {
	return siptls.ClientConfigFor(siptls.Options{CAFile: c.CAFile, CAPEM: c.CAPEM, PolicyCAFile: c.PolicyCAFile, PolicyCAPEM: c.PolicyCAPEM,
		ServerName: c.TLSServerName, NoSystemRoots: c.TLSNoSystemRoots}, c.tlsNames())
}

// tlsNames are the names a TLS server certificate may carry without
// TLSServerName: the hosts typed in Server, then Domain.
func (c Config) tlsNames() []string {
	var names []string
	for _, s := range c.servers() {
		if h, _, err := splitHostPort(s); err == nil && !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	if c.Domain != "" && !slices.Contains(names, c.Domain) {
		names = append(names, c.Domain)
	}
	return names
}

// defaultPort is the SIP port of the transport (5061 for TLS).
func (c Config) defaultPort() int {
	if c.Transport == "tls" {
		return 5061
	}
	return 5060
}

// stripSIPS removes a "sips:" scheme from each server of a Server list
// and reports whether any had one.
func stripSIPS(server string) (string, bool) {
	parts := strings.Split(server, ",")
	found := false
	for i, s := range parts {
		s = strings.TrimSpace(s)
		if len(s) > 5 && strings.EqualFold(s[:5], "sips:") {
			s, found = s[5:], true
		}
		parts[i] = s
	}
	if !found {
		return server, false
	}
	return strings.Join(parts, ","), true
}

// scheme is our URIs' scheme: sips with SIPS, else sip.
func (c Config) scheme() string {
	if c.SIPS {
		return "sips"
	}
	return "sip"
}

// servers splits Server on commas.
func (c Config) servers() []string {
	var out []string
	for _, s := range strings.Split(c.Server, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// splitHostPort accepts "host", "host:port", "[v6]" and "[v6]:port";
// port 0 means "not given".
func splitHostPort(s string) (string, int, error) {
	if s == "" {
		return "", 0, errors.New("empty")
	}
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, errors.New("unclosed [")
		}
		host := s[1:end]
		rest := s[end+1:]
		if rest == "" {
			return host, 0, nil
		}
		if !strings.HasPrefix(rest, ":") {
			return "", 0, errors.New("junk after ]")
		}
		p, err := parsePort(rest[1:])
		return host, p, err
	}
	if strings.Count(s, ":") > 1 {
		if net.ParseIP(s) != nil {
			return s, 0, nil
		}
		return "", 0, errors.New("bad address")
	}
	host, ps, hasPort := strings.Cut(s, ":")
	if host == "" || strings.ContainsAny(host, " \t/@;<>\"") {
		return "", 0, errors.New("bad host")
	}
	if !hasPort {
		return host, 0, nil
	}
	p, err := parsePort(ps)
	return host, p, err
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p <= 0 || p > 65535 {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return p, nil
}
