package dtlssrtp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
)

// peer is one side of a test association: a UDP socket and the reader
// that hands DTLS datagrams to the session, as the media reader does.
type peer struct {
	pc   *net.UDPConn
	cert *Certificate
	s    *Session
	wg   sync.WaitGroup
	rtp  int // non-DTLS datagrams seen (and not handed over)
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	return &peer{pc: pc, cert: c}
}

func (p *peer) start(t *testing.T, remote *peer, o Options) {
	t.Helper()
	o.Cert = p.cert
	s, err := New(p.pc, remote.pc.LocalAddr(), o)
	if err != nil {
		t.Fatal(err)
	}
	p.s = s
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		buf := make([]byte, 1500)
		for {
			n, _, err := p.pc.ReadFromUDP(buf)
			if err != nil {
				return
			}
			if IsDTLS(buf[:n]) {
				s.Deliver(buf[:n])
			} else {
				p.rtp++
			}
		}
	}()
	t.Cleanup(func() {
		s.Close()
		p.pc.Close()
		p.wg.Wait()
	})
}

func handshakeBoth(a, b *peer) (ra, rb Result, ea, eb error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ra, ea = a.s.Handshake(ctx) }()
	go func() { defer wg.Done(); rb, eb = b.s.Handshake(ctx) }()
	wg.Wait()
	return
}

// TestHandshake: client and server settle the same keys, crossed over
// (the client's send key is the server's receive key), with the profile
// both prefer, and each sees the other's certificate fingerprint.
func TestHandshake(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cli, srv   []string
		wantSuite  string
		wantKeyLen int
	}{
		{"80", []string{"AES_CM_128_HMAC_SHA1_80"}, []string{"AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"}, "AES_CM_128_HMAC_SHA1_80", 16},
		{"gcm256", []string{"AEAD_AES_256_GCM", "AES_CM_128_HMAC_SHA1_80"}, []string{"AES_CM_128_HMAC_SHA1_32", "AEAD_AES_256_GCM"}, "AEAD_AES_256_GCM", 32},
		{"32", []string{"AES_CM_128_HMAC_SHA1_32"}, []string{"AES_CM_128_HMAC_SHA1_32"}, "AES_CM_128_HMAC_SHA1_32", 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newPeer(t), newPeer(t)
			a.start(t, b, Options{Client: true, Remote: []Fingerprint{b.cert.Fingerprint()}, Profiles: Profiles(tc.cli)})
			b.start(t, a, Options{Remote: []Fingerprint{a.cert.Fingerprint()}, Profiles: Profiles(tc.srv)})
			ra, rb, ea, eb := handshakeBoth(a, b)
			if ea != nil || eb != nil {
				t.Fatalf("handshake: client %v, server %v", ea, eb)
			}
			if ra.Suite != tc.wantSuite || rb.Suite != tc.wantSuite {
				t.Fatalf("suites %s / %s, want %s", ra.Suite, rb.Suite, tc.wantSuite)
			}
			if len(ra.Local.MasterKey) != tc.wantKeyLen || !bytes.Equal(ra.Local.MasterKey, rb.Remote.MasterKey) ||
				!bytes.Equal(ra.Local.MasterSalt, rb.Remote.MasterSalt) || !bytes.Equal(ra.Remote.MasterKey, rb.Local.MasterKey) ||
				bytes.Equal(ra.Local.MasterKey, ra.Remote.MasterKey) {
				t.Fatal("the two sides did not settle crossed keys")
			}
			if ra.PeerFingerprint.String() != b.cert.Fingerprint().String() || rb.PeerFingerprint.String() != a.cert.Fingerprint().String() {
				t.Fatal("peer fingerprints")
			}
		})
	}
}

// TestFingerprintMismatch: a certificate that is not the one the SDP
// named fails the handshake on the side that checks it, with a reason
// naming the mismatch; the other side fails too (alert or timeout).
func TestFingerprintMismatch(t *testing.T) {
	for _, clientChecksWrong := range []bool{true, false} {
		a, b, other := newPeer(t), newPeer(t), newPeer(t)
		wrongForB, wrongForA := b.cert.Fingerprint(), a.cert.Fingerprint()
		if clientChecksWrong {
			wrongForB = other.cert.Fingerprint()
		} else {
			wrongForA = other.cert.Fingerprint()
		}
		prof := Profiles([]string{"AES_CM_128_HMAC_SHA1_80"})
		a.start(t, b, Options{Client: true, Remote: []Fingerprint{wrongForB}, Profiles: prof, FlightInterval: 100 * time.Millisecond})
		b.start(t, a, Options{Remote: []Fingerprint{wrongForA}, Profiles: prof, FlightInterval: 100 * time.Millisecond})
		ra, rb, ea, eb := handshakeBoth(a, b)
		checker, err, res := eb, eb, rb
		if clientChecksWrong {
			checker, err, res = ea, ea, ra
		}
		_ = checker
		if !errors.Is(err, ErrFingerprintMismatch) || !strings.Contains(err.Error(), "it presented sha-256 ") {
			t.Errorf("client checks wrong=%v: checker got %v", clientChecksWrong, err)
		}
		if res.Local.MasterKey != nil {
			t.Error("keys settled despite the mismatch")
		}
		if ea == nil || eb == nil {
			t.Errorf("one side finished: %v / %v", ea, eb)
		}
	}
}

// TestNoCommonProfile: disjoint profile lists fail the handshake.
func TestNoCommonProfile(t *testing.T) {
	a, b := newPeer(t), newPeer(t)
	a.start(t, b, Options{Client: true, Remote: []Fingerprint{b.cert.Fingerprint()}, Profiles: Profiles([]string{"AEAD_AES_128_GCM"}), FlightInterval: 100 * time.Millisecond})
	b.start(t, a, Options{Remote: []Fingerprint{a.cert.Fingerprint()}, Profiles: Profiles([]string{"AES_CM_128_HMAC_SHA1_80"}), FlightInterval: 100 * time.Millisecond})
	_, _, ea, eb := handshakeBoth(a, b)
	if ea == nil || eb == nil {
		t.Fatalf("handshake with no common profile: %v / %v", ea, eb)
	}
}

// TestHandshakeTimeout: a silent peer ends the handshake when ctx does.
func TestHandshakeTimeout(t *testing.T) {
	a, b := newPeer(t), newPeer(t)
	a.start(t, b, Options{Client: true, Remote: []Fingerprint{b.cert.Fingerprint()}, Profiles: Profiles([]string{"AES_CM_128_HMAC_SHA1_80"}), FlightInterval: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := a.s.Handshake(ctx)
	if err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("silent peer: %v", err)
	}
}

func TestIsDTLS(t *testing.T) {
	for b, want := range map[byte]bool{0: false, 1: false, 19: false, 20: true, 22: true, 63: true, 64: false, 128: false, 191: false} {
		if IsDTLS([]byte{b}) != want {
			t.Errorf("IsDTLS(%d) = %v", b, !want)
		}
	}
	if IsDTLS(nil) {
		t.Error("IsDTLS(nil)")
	}
}

func TestFingerprintParse(t *testing.T) {
	c, err := NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	s := c.Fingerprint().String()
	if !strings.HasPrefix(s, "sha-256 ") || len(s) != len("sha-256 ")+32*3-1 {
		t.Fatalf("fingerprint %q", s)
	}
	back, err := ParseFingerprint(strings.Replace(s, "sha-256", "SHA-256", 1))
	if err != nil || !back.Matches(c.tls.Certificate[0]) {
		t.Fatalf("parse back: %v", err)
	}
	lower, err := ParseFingerprint(strings.ToLower(s))
	if err != nil || !lower.Matches(c.tls.Certificate[0]) {
		t.Fatalf("lower-case hex: %v", err)
	}
	sha1fp, _ := FingerprintOf("sha-1", c.tls.Certificate[0])
	if p, err := ParseFingerprint(sha1fp.String()); err != nil || !p.Matches(c.tls.Certificate[0]) {
		t.Fatalf("sha-1: %v", err)
	}
	for _, bad := range []string{"", "sha-256", "md5 AB:CD", "sha-256 AB:CD", "sha-256 " + strings.Repeat("ZZ:", 31) + "ZZ",
		"sha-256 " + strings.Repeat("A:", 31) + "A", strings.Repeat("x", 300)} {
		if _, err := ParseFingerprint(bad); !errors.Is(err, ErrFingerprint) {
			t.Errorf("ParseFingerprint(%.30q) = %v", bad, err)
		}
	}
}

func TestSetup(t *testing.T) {
	for offer, want := range map[Setup]Setup{SetupActPass: SetupActive, SetupPassive: SetupActive, SetupActive: SetupPassive, "": SetupPassive} {
		if got, err := AnswerSetup(offer); err != nil || got != want {
			t.Errorf("AnswerSetup(%q) = %q, %v", offer, got, err)
		}
	}
	if _, err := AnswerSetup(SetupHoldConn); err == nil {
		t.Error("holdconn answered")
	}
	for ans, client := range map[Setup]bool{SetupPassive: true, SetupActive: false, "": false} {
		if got, err := OffererRole(ans); err != nil || got != client {
			t.Errorf("OffererRole(%q) = %v, %v", ans, got, err)
		}
	}
	for _, bad := range []Setup{SetupActPass, SetupHoldConn} {
		if _, err := OffererRole(bad); err == nil {
			t.Errorf("OffererRole(%q) accepted", bad)
		}
	}
	if s, err := ParseSetup(" ActPass "); err != nil || s != SetupActPass {
		t.Errorf("ParseSetup: %q %v", s, err)
	}
	if _, err := ParseSetup("both"); !errors.Is(err, ErrSetup) {
		t.Errorf("ParseSetup(both): %v", err)
	}
}

func TestSuiteNames(t *testing.T) {
	if got := Profiles([]string{"AEAD_AES_256_GCM", "NULL", "AES_CM_128_HMAC_SHA1_80"}); len(got) != 2 || got[0] != dtls.SRTP_AEAD_AES_256_GCM {
		t.Fatalf("Profiles: %v", got)
	}
	if SuiteName(dtls.SRTP_AES128_CM_HMAC_SHA1_32) != "AES_CM_128_HMAC_SHA1_32" {
		t.Fatal("SuiteName")
	}
}

// FuzzParse feeds a=fingerprint and a=setup values: a fingerprint that
// parses prints back to an equal one, and a setup that parses is one of
// the four values.
func FuzzParse(f *testing.F) {
	c, _ := NewCertificate()
	f.Add(c.Fingerprint().String())
	f.Add("sha-1 " + strings.Repeat("AB:", 19) + "AB")
	f.Add("SHA-512 00")
	f.Add("actpass")
	f.Add("sha-256 :::")
	f.Fuzz(func(t *testing.T, s string) {
		if fp, err := ParseFingerprint(s); err == nil {
			h, _ := hashNamed(fp.Hash)
			if len(fp.Value) != h.size {
				t.Fatalf("%q: %d bytes for %s", s, len(fp.Value), fp.Hash)
			}
			again, err := ParseFingerprint(fp.String())
			if err != nil || !bytes.Equal(again.Value, fp.Value) || again.Hash != fp.Hash {
				t.Fatalf("%q does not round-trip: %v", s, err)
			}
		} else if !errors.Is(err, ErrFingerprint) {
			t.Fatalf("%q: error %v does not wrap ErrFingerprint", s, err)
		}
		if st, err := ParseSetup(s); err == nil {
			switch st {
			case "", SetupActive, SetupPassive, SetupActPass, SetupHoldConn:
			default:
				t.Fatalf("ParseSetup(%q) = %q", s, st)
			}
		}
	})
}
