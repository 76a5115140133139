// Package dtlssrtp keys SRTP with DTLS (RFC 5763, RFC 5764) for secure
// mode's second keying method: a self-signed certificate whose
// fingerprint travels in SDP, a DTLS handshake on the media socket that
// checks the peer's certificate against the fingerprint its SDP named,
// and the SRTP master keys exported from the handshake (use_srtp).
//
// DTLS shares the media's UDP socket with RTP: a Session does not read
// the socket itself. Whoever reads it hands packets whose first byte says
// DTLS (IsDTLS, RFC 7983) to Deliver.
//
// Nothing here logs key material; errors name what failed, never a key.
package dtlssrtp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/logging"
	"github.com/pion/srtp/v3"
	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/sip/internal/liblog"
	"github.com/openbpclient/bpclient/sip/srtpmedia"
)

// Certificate is our DTLS identity: a self-signed ECDSA P-256 certificate
// made at run time. Peers know it only by its fingerprint in our SDP.
type Certificate struct {
	tls         tls.Certificate
	fingerprint Fingerprint
}

// NewCertificate makes a fresh self-signed certificate, valid from a day
// ago (clock skew) for 30 days: far longer than an agent runs between
// reconfigurations, and peers check the fingerprint, not the dates.
func NewCertificate() (*Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("dtls key: %w", err)
	}
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("dtls certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: "bpclient"},
		NotBefore:    now.Add(-24 * time.Hour),
		NotAfter:     now.Add(30 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("dtls certificate: %w", err)
	}
	fp, err := FingerprintOf("sha-256", der)
	if err != nil {
		return nil, err
	}
	return &Certificate{tls: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, fingerprint: fp}, nil
}

// Fingerprint is the certificate's sha-256 fingerprint, what our SDP
// carries.
func (c *Certificate) Fingerprint() Fingerprint { return c.fingerprint }

// IsDTLS reports whether a datagram on a media socket is DTLS: its first
// byte is a DTLS record's content type, 20 to 63 (RFC 7983 §7). RTP and
// RTCP start at 128.
func IsDTLS(b []byte) bool { return len(b) > 0 && b[0] >= 20 && b[0] <= 63 }

// Profiles maps SRTP suite names (as sdes names them) to the DTLS-SRTP
// protection profiles that carry the same transform (RFC 5764 §4.1.2,
// RFC 7714 §14.2). The order of names is our preference.
func Profiles(suites []string) []dtls.SRTPProtectionProfile {
	var out []dtls.SRTPProtectionProfile
	for _, s := range suites {
		for _, p := range profiles {
			if p.name == s {
				out = append(out, p.profile)
			}
		}
	}
	return out
}

// profiles pair suite names and profiles: an array, not a map, which the
// package's initialiser would build in every process that links it
// (BENCHMARKS.md, the idle agent's memory).
var profiles = [...]struct {
	name    string
	profile dtls.SRTPProtectionProfile
}{
	{"AES_CM_128_HMAC_SHA1_80", dtls.SRTP_AES128_CM_HMAC_SHA1_80},
	{"AES_CM_128_HMAC_SHA1_32", dtls.SRTP_AES128_CM_HMAC_SHA1_32},
	{"AEAD_AES_128_GCM", dtls.SRTP_AEAD_AES_128_GCM},
	{"AEAD_AES_256_GCM", dtls.SRTP_AEAD_AES_256_GCM},
}

// SuiteName is the SDES-style name of a negotiated profile, as call.state
// reports it.
func SuiteName(p dtls.SRTPProtectionProfile) string {
	for _, q := range profiles {
		if q.profile == p {
			return q.name
		}
	}
	return fmt.Sprintf("profile 0x%04x", uint16(p))
}

// Options describe one DTLS association.
type Options struct {
	Cert *Certificate
	// Remote are the fingerprints the peer's SDP named; the peer's
	// certificate must match one of them.
	Remote []Fingerprint
	// Client is whether we open the association (a=setup:active).
	Client bool
	// Profiles are the SRTP protection profiles we accept, preferred first.
	Profiles []dtls.SRTPProtectionProfile
	// FlightInterval is the first retransmission interval; zero: 1 s.
	FlightInterval time.Duration
	// Log is where pion's own logging goes (liblog.Pion); nil drops it.
	// The handshake's outcome is returned, for the caller to log.
	Log logging.LoggerFactory
}

// Reasons a handshake fails, for callers that branch on them.
var (
	ErrFingerprintMismatch = errors.New("the peer's DTLS certificate does not match the fingerprint in its SDP")
	ErrNoProfile           = errors.New("no SRTP protection profile in common")
)

// Result is what a finished handshake settled.
type Result struct {
	Suite  string // the SDES-style name of the protection profile
	Local  srtpmedia.Keys
	Remote srtpmedia.Keys
	// PeerFingerprint is the sha-256 fingerprint of the certificate the
	// peer presented (public; fine to log).
	PeerFingerprint Fingerprint
}

// Session is one DTLS association over a media socket it does not read.
// It is safe for concurrent use; Close ends its goroutines.
type Session struct {
	ep   *endpoint
	conn *dtls.Conn
	opts Options

	mu      sync.Mutex
	peerFP  Fingerprint
	matched bool
}

// New prepares an association with remote over pc, which the caller
// reads (handing DTLS packets to Deliver) and which New only writes.
func New(pc net.PacketConn, remote net.Addr, o Options) (*Session, error) {
	if o.Cert == nil {
		return nil, errors.New("dtls: no certificate")
	}
	if len(o.Remote) == 0 {
		return nil, errors.New("dtls: no remote fingerprint to check the peer against")
	}
	if len(o.Profiles) == 0 {
		return nil, ErrNoProfile
	}
	s := &Session{ep: newEndpoint(pc, remote), opts: o}
	pionLog := o.Log
	if pionLog == nil {
		pionLog = liblog.Pion(zerolog.Nop())
	}
	shared := []dtls.Option{
		dtls.WithCertificates(o.Cert.tls),
		dtls.WithSRTPProtectionProfiles(o.Profiles...),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret),
		// The peer's certificate is self-signed: it is trusted because
		// its fingerprint is the one signalled over TLS, which
		// VerifyPeerCertificate checks (RFC 5763 §5). There is no chain
		// to verify.
		dtls.WithInsecureSkipVerify(true),
		dtls.WithVerifyPeerCertificate(s.verify),
		dtls.WithLoggerFactory(pionLog),
	}
	if o.FlightInterval > 0 {
		shared = append(shared, dtls.WithFlightInterval(o.FlightInterval))
	}
	var err error
	if o.Client {
		opts := make([]dtls.ClientOption, 0, len(shared))
		for _, x := range shared {
			opts = append(opts, x)
		}
		s.conn, err = dtls.ClientWithOptions(s.ep, remote, opts...)
	} else {
		opts := make([]dtls.ServerOption, 0, len(shared)+1)
		for _, x := range shared {
			opts = append(opts, x)
		}
		// The client must present its certificate: it is what the
		// fingerprint in its SDP vouches for.
		opts = append(opts, dtls.WithClientAuth(dtls.RequireAnyClientCert))
		s.conn, err = dtls.ServerWithOptions(s.ep, remote, opts...)
	}
	if err != nil {
		s.ep.Close()
		return nil, fmt.Errorf("dtls: %w", err)
	}
	return s, nil
}

// verify checks the peer's certificate against the signalled fingerprints.
func (s *Session) verify(raw [][]byte, _ [][]*x509.Certificate) error {
	if len(raw) == 0 {
		return fmt.Errorf("%w: the peer sent no certificate", ErrFingerprintMismatch)
	}
	fp, _ := FingerprintOf("sha-256", raw[0])
	s.mu.Lock()
	s.peerFP = fp
	s.mu.Unlock()
	for _, want := range s.opts.Remote {
		if want.Matches(raw[0]) {
			s.mu.Lock()
			s.matched = true
			s.mu.Unlock()
			return nil
		}
	}
	return ErrFingerprintMismatch
}

// Refused returns the reason we refused the peer's certificate, as soon
// as we have (before Handshake returns, before the peer hears of it), or
// nil.
func (s *Session) Refused() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peerFP.Value != nil && !s.matched {
		return fmt.Errorf("%w (it presented %s)", ErrFingerprintMismatch, s.peerFP)
	}
	return nil
}

// Deliver hands the session one DTLS datagram read from the socket. It
// never blocks: with the queue full, the datagram is dropped (DTLS
// retransmits).
func (s *Session) Deliver(b []byte) { s.ep.deliver(b) }

// Handshake runs the DTLS handshake until it completes, fails or ctx
// ends, and exports the SRTP keys (RFC 5764 §4.2).
func (s *Session) Handshake(ctx context.Context) (Result, error) {
	if err := s.conn.HandshakeContext(ctx); err != nil {
		if r := s.Refused(); r != nil {
			return Result{}, r
		}
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("dtls handshake: no answer from the peer within the time allowed: %w", ctx.Err())
		}
		return Result{}, fmt.Errorf("dtls handshake: %w", err)
	}
	prof, ok := s.conn.SelectedSRTPProtectionProfile()
	if !ok {
		return Result{}, ErrNoProfile
	}
	state, ok := s.conn.ConnectionState()
	if !ok {
		return Result{}, errors.New("dtls: no connection state after the handshake")
	}
	local, remote, err := exportKeys(&state, srtp.ProtectionProfile(prof), s.opts.Client)
	if err != nil {
		return Result{}, err
	}
	s.mu.Lock()
	fp := s.peerFP
	s.mu.Unlock()
	return Result{Suite: SuiteName(prof), Local: local, Remote: remote, PeerFingerprint: fp}, nil
}

// exporter is what exportKeys needs of a finished handshake.
type exporter interface {
	ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error)
}

// exportKeys splits the exported keying material into the client's and
// the server's master key and salt (RFC 5764 §4.2): client key, server
// key, client salt, server salt.
func exportKeys(e exporter, prof srtp.ProtectionProfile, client bool) (local, remote srtpmedia.Keys, err error) {
	kl, err := prof.KeyLen()
	if err != nil {
		return local, remote, fmt.Errorf("dtls-srtp profile: %w", err)
	}
	sl, err := prof.SaltLen()
	if err != nil {
		return local, remote, fmt.Errorf("dtls-srtp profile: %w", err)
	}
	m, err := e.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", nil, 2*kl+2*sl)
	if err != nil {
		return local, remote, fmt.Errorf("dtls-srtp keys: %w", err)
	}
	ck, sk := m[:kl:kl], m[kl:2*kl:2*kl]
	cs, ss := m[2*kl:2*kl+sl:2*kl+sl], m[2*kl+sl:]
	c := srtpmedia.Keys{Profile: prof, MasterKey: ck, MasterSalt: cs}
	s := srtpmedia.Keys{Profile: prof, MasterKey: sk, MasterSalt: ss}
	if client {
		return c, s, nil
	}
	return s, c, nil
}

// ConnectionState is the finished handshake's state (as tls.Conn's):
// false before it has finished. It holds secrets; never log it.
func (s *Session) ConnectionState() (dtls.State, bool) { return s.conn.ConnectionState() }

// Close ends the association (sending close_notify when it was up) and
// its goroutines. The media socket stays open: it is the caller's.
func (s *Session) Close() error {
	err := s.conn.Close()
	s.ep.Close()
	return err
}
