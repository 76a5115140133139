// Package srtpmedia protects a call's RTP and RTCP with SRTP and SRTCP
// (RFC 3711, RFC 7714) on github.com/pion/srtp/v3. A Transformer turns
// plaintext packets into wire packets and back, with replay protection on
// and counters for what it had to drop.
//
// Packets that fail authentication (flipped bits, a wrong key), replays
// and packets too short to be SRTP are dropped and counted: the stream
// goes on. Nothing here logs, and no error carries key material.
package srtpmedia

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// Keys are one direction's SRTP master key and salt.
type Keys struct {
	Profile    srtp.ProtectionProfile
	MasterKey  []byte
	MasterSalt []byte
	// MKI is the master key identifier carried in each packet, or nil.
	MKI []byte
}

// ReplayWindow is the replay window, in packets, for SRTP and SRTCP
// (libsrtp's default is 128).
const ReplayWindow = 128

// Reasons a received packet is dropped; Unprotect errors wrap one.
var (
	ErrAuth      = errors.New("srtp authentication failed")
	ErrReplay    = errors.New("srtp replayed packet")
	ErrMalformed = errors.New("not an srtp packet")
)

// Stats count what a Transformer did. Dropped packets are in AuthFailures,
// Replays or Malformed, for RTP and RTCP together.
type Stats struct {
	RTPSent, RTPReceived   uint64
	RTCPSent, RTCPReceived uint64
	AuthFailures           uint64
	Replays                uint64
	Malformed              uint64
}

// Dropped is the total of dropped packets.
func (s Stats) Dropped() uint64 { return s.AuthFailures + s.Replays + s.Malformed }

// Transformer protects outgoing and unprotects incoming packets of one
// media stream (RTP and its RTCP). It is safe for concurrent use: one
// goroutine may send while another receives.
type Transformer struct {
	txMu sync.Mutex
	tx   *srtp.Context
	// headers reused under their lock, so a packet costs no allocation
	txRTP  rtp.Header
	txRTCP rtcp.Header
	rxMu   sync.Mutex
	rx     *srtp.Context
	rxRTP  rtp.Header
	rxRTCP rtcp.Header

	rtpSent, rtpRecv, rtcpSent, rtcpRecv atomic.Uint64
	auth, replay, malformed              atomic.Uint64
}

// New makes a Transformer that encrypts with local (the key we announced)
// and decrypts with remote (the key the peer announced).
func New(local, remote Keys) (*Transformer, error) {
	tx, err := newContext(local)
	if err != nil {
		return nil, fmt.Errorf("srtp send context: %w", err)
	}
	rx, err := newContext(remote)
	if err != nil {
		return nil, fmt.Errorf("srtp receive context: %w", err)
	}
	return &Transformer{tx: tx, rx: rx}, nil
}

func newContext(k Keys) (*srtp.Context, error) {
	kl, err := k.Profile.KeyLen()
	if err != nil {
		return nil, err
	}
	sl, _ := k.Profile.SaltLen()
	if len(k.MasterKey) != kl || len(k.MasterSalt) != sl {
		return nil, fmt.Errorf("key %d and salt %d bytes, profile wants %d and %d", len(k.MasterKey), len(k.MasterSalt), kl, sl)
	}
	opts := []srtp.ContextOption{srtp.SRTPReplayProtection(ReplayWindow), srtp.SRTCPReplayProtection(ReplayWindow)}
	if len(k.MKI) > 0 {
		opts = append(opts, srtp.MasterKeyIndicator(k.MKI))
	}
	return srtp.CreateContext(k.MasterKey, k.MasterSalt, k.Profile, opts...)
}

// SetRemote replaces the receive key (the peer re-keyed in a re-offer).
// The send side keeps its key and packet index.
func (t *Transformer) SetRemote(remote Keys) error {
	k, err := NewRemoteKey(remote)
	if err != nil {
		return err
	}
	t.UseRemote(k)
	return nil
}

// RemoteKey is a receive key checked and ready to replace a
// Transformer's (UseRemote): a re-offer's key is checked before the offer
// is accepted, and installing it cannot fail.
type RemoteKey struct{ rx *srtp.Context }

// NewRemoteKey checks remote and prepares its receive context.
func NewRemoteKey(remote Keys) (*RemoteKey, error) {
	rx, err := newContext(remote)
	if err != nil {
		return nil, fmt.Errorf("srtp receive context: %w", err)
	}
	return &RemoteKey{rx: rx}, nil
}

// UseRemote makes k the receive key; k is used once.
func (t *Transformer) UseRemote(k *RemoteKey) {
	t.rxMu.Lock()
	t.rx = k.rx
	t.rxMu.Unlock()
}

// ProtectRTP encrypts one plaintext RTP packet into dst (grown when too
// small) and returns the SRTP packet.
func (t *Transformer) ProtectRTP(dst, plain []byte) ([]byte, error) {
	t.txMu.Lock()
	out, err := t.tx.EncryptRTP(dst, plain, &t.txRTP)
	t.txMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("protect rtp: %w", err)
	}
	t.rtpSent.Add(1)
	return out, nil
}

// UnprotectRTP authenticates and decrypts one SRTP packet into dst. A
// packet that fails is counted and the error wraps ErrAuth, ErrReplay or
// ErrMalformed; the Transformer stays usable.
func (t *Transformer) UnprotectRTP(dst, wire []byte) ([]byte, error) {
	t.rxMu.Lock()
	out, err := t.rx.DecryptRTP(dst, wire, &t.rxRTP)
	t.rxMu.Unlock()
	if err != nil {
		return nil, t.drop("rtp", err)
	}
	t.rtpRecv.Add(1)
	return out, nil
}

// ProtectRTCP encrypts one plaintext RTCP compound packet.
func (t *Transformer) ProtectRTCP(dst, plain []byte) ([]byte, error) {
	t.txMu.Lock()
	out, err := t.tx.EncryptRTCP(dst, plain, &t.txRTCP)
	t.txMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("protect rtcp: %w", err)
	}
	t.rtcpSent.Add(1)
	return out, nil
}

// UnprotectRTCP authenticates and decrypts one SRTCP packet.
func (t *Transformer) UnprotectRTCP(dst, wire []byte) ([]byte, error) {
	t.rxMu.Lock()
	out, err := t.rx.DecryptRTCP(dst, wire, &t.rxRTCP)
	t.rxMu.Unlock()
	if err != nil {
		return nil, t.drop("rtcp", err)
	}
	t.rtcpRecv.Add(1)
	return out, nil
}

// drop counts a failed packet and says why it failed.
func (t *Transformer) drop(kind string, err error) error {
	var reason error
	switch {
	case errors.Is(err, srtp.ErrFailedToVerifyAuthTag), errors.Is(err, srtp.ErrMKINotFound):
		reason = ErrAuth
		t.auth.Add(1)
	case isReplay(err):
		reason = ErrReplay
		t.replay.Add(1)
	default:
		reason = ErrMalformed
		t.malformed.Add(1)
	}
	return fmt.Errorf("unprotect %s: %w (%v)", kind, reason, err)
}

// isReplay recognises pion's replay error, which is not exported: its
// message names a "duplicated packet" (checked by a test against pion).
func isReplay(err error) bool { return strings.Contains(err.Error(), "duplicated packet") }

// Stats returns the counters so far.
func (t *Transformer) Stats() Stats {
	return Stats{
		RTPSent: t.rtpSent.Load(), RTPReceived: t.rtpRecv.Load(),
		RTCPSent: t.rtcpSent.Load(), RTCPReceived: t.rtcpRecv.Load(),
		AuthFailures: t.auth.Load(), Replays: t.replay.Load(), Malformed: t.malformed.Load(),
	}
}
