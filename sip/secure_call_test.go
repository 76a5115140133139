package sip_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
	"github.com/openbpclient/bpclient/sip/sdes"
)

// syncBuffer is a log destination shared by the phone's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type securePeers struct {
	*peers
	log *syncBuffer
	ca  *siptest.CA
}

// setupSecure starts Kamailio with TLS, baresip (1002) with mediaenc and
// a secure-mode phone (1001) registered over TLS, logging at debug level.
func setupSecure(t *testing.T, mediaEnc string, suites []string, answer string) *securePeers {
	t.Helper()
	return setupSecureFor(t, mediaEnc, suites, answer, 10*time.Second)
}

// setupSecureFor is setupSecure with baresip's microphone file lasting d.
func setupSecureFor(t *testing.T, mediaEnc string, suites []string, answer string, d time.Duration) *securePeers {
	t.Helper()
	return setupSecureWith(t, secureSetup{mediaEnc: mediaEnc, suites: suites, answer: answer, tone: d})
}

// secureSetup are the knobs of setupSecureWith.
type secureSetup struct {
	mediaEnc string // baresip's mediaenc
	suites   []string
	answer   string
	tone     time.Duration // baresip's microphone file; zero: 10 s
	keying   string        // the phone's Config.Keying
	kam      siptest.KamailioOptions
}

// setupSecureWith starts Kamailio with TLS, baresip (1002) and a
// secure-mode phone (1001) registered over TLS, logging at debug level.
// answerBaresip has baresip call our phone over TLS and answers the call
// once it rings.
func (pe *securePeers) answerBaresip(ctx context.Context, t *testing.T) *sip.Call {
	t.Helper()
	c, _ := pe.peers.answerBaresip(ctx, t, pe.k.TLSAddr())
	return c
}

func setupSecureWith(t *testing.T, o secureSetup) *securePeers {
	t.Helper()
	if o.tone == 0 {
		o.tone = 10 * time.Second
	}
	ca := siptest.NewCA(t, "bpclient test CA")
	cert := ca.Loopback(t)
	o.kam.TLS = &cert
	k := siptest.StartKamailio(t, o.kam)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, []byte(ca.PEM), 0o644); err != nil {
		t.Fatal(err)
	}
	// baresip signals over TLS too, so the whole path is TLS.
	b := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.TLSAddr(),
		Transport: "tls", CAFile: caFile,
		Source: writeToneFor(t, 440, 8000, o.tone), Codecs: []string{"pcmu"}, Answer: o.answer, MediaEnc: o.mediaEnc})
	audio := newTestAudio(1000)
	p, ev, logs := startSecurePhone(t, k, ca, siptest.DefaultUsers[0], audio, o.suites, o.keying)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s\nbaresip:\n%s\nphone:\n%s", k.Log(), b.Log(), logs.String())
		}
	})
	return &securePeers{peers: &peers{k: k, b: b, phone: p, ev: ev, audio: audio}, log: logs, ca: ca}
}

// startSecurePhone starts a secure-mode phone for user, registered over
// TLS to k (whose certificate ca issued), logging at debug level.
func startSecurePhone(t *testing.T, k *siptest.Kamailio, ca *siptest.CA, user siptest.User, audio *testAudio,
	suites []string, keying string) (*sip.Phone, *events, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	p, ev := startPhone(t, sip.Config{Mode: "secure", Server: k.TLSAddr(), Domain: "127.0.0.1", Username: user.Name,
		Password: user.Password, CAPEM: ca.PEM, SRTPSuites: suites, Keying: keying, Codecs: []string{"PCMU"},
		QualityInterval: time.Second, RTPPortMin: 32000, RTPPortMax: 39999},
		sip.WithAudio(audio.factory), sip.WithLogger(zerolog.New(logs).Level(zerolog.DebugLevel)))
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	return p, ev, logs
}

// checkAudio hangs up c and checks each side heard the other's tone.
func (pe *securePeers) hangupAndCheckAudio(t *testing.T, c *sip.Call) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hangupHeardBothWays(ctx, t, pe.peers, c)
}

// TestSecureOutboundEverySuite: over TLS, an outbound call to baresip with
// mediaenc=srtp-mand carries SRTP with each suite baresip supports, audio
// both ways; call.state says secure and names the suite.
func TestSecureOutboundEverySuite(t *testing.T) {
	t.Parallel()
	for _, suite := range []string{sdes.AESCM128HMACSHA180, sdes.AESCM128HMACSHA132, sdes.AEADAES128GCM, sdes.AEADAES256GCM} {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			pe := setupSecure(t, "srtp-mand", []string{suite}, "auto")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := pe.phone.Dial(ctx, "1002")
			if err != nil {
				t.Fatal(err)
			}
			cs := pe.ev.waitCall(t, sip.StateConnected)
			if !cs.Secure || cs.Suite != suite {
				t.Errorf("call.state secure=%v suite=%q, want %s", cs.Secure, cs.Suite, suite)
			}
			if !pe.b.WaitLog("SRTP is Enabled (cryptosuite="+suite+")", sip.HangGuard) {
				t.Errorf("hang guard (%v): baresip did not enable SRTP with %s", sip.HangGuard, suite)
			}
			time.Sleep(2500 * time.Millisecond)
			// baresip sends one short plain RTCP packet before its keys are
			// set (counted as malformed); with the _32 suite its SRTCP tags
			// are 32 bits where RFC 3711 says 80, so its SRTCP fails here
			// (and ours there): counted, the call goes on.
			st, ok := c.SRTPStats()
			if !ok || st.Suite != suite || st.Replays != 0 || st.Malformed > 2 ||
				(suite != sdes.AESCM128HMACSHA132 && st.AuthFailures != 0) {
				t.Errorf("srtp stats %+v (%v)", st, ok)
			}
			pe.hangupAndCheckAudio(t, c)
		})
	}
}

// TestSecureInboundFlippedBitsAndSecretsNotLogged: baresip calls us over
// SRTP; we answer with our own key. Forged SRTP packets (flipped bits, a
// replay of a forged one) thrown at our RTP port are dropped and counted
// while the call goes on: from a port that is not baresip's, as strangers'
// before any decryption (the forgeries from the peer's own address that
// fail authentication are TestSRTPLatchesOnlyOnAuthenticatedPackets'). Afterwards the whole debug log holds neither the
// password nor any key of the call.
func TestSecureInboundFlippedBitsAndSecretsNotLogged(t *testing.T) {
	t.Parallel()
	pe := setupSecure(t, "srtp-mand", nil, "auto")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := pe.answerBaresip(ctx, t)
	cs := pe.ev.waitCall(t, sip.StateConnected)
	if !cs.Secure || cs.Suite == "" {
		t.Errorf("call.state %+v", cs)
	}
	time.Sleep(time.Second)

	// Forged packets: a genuine-looking RTP header with random payload and
	// tag, each sent twice (the second is a replay of the first).
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: c.RTPPortForTest()}
	for i := 0; i < 20; i++ {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(40000 + i), Timestamp: uint32(i) * 160, SSRC: 0xdeadbeef},
			Payload: bytes.Repeat([]byte{byte(i)}, 170)}
		b, _ := pkt.Marshal()
		_, _ = pc.WriteTo(b, dst)
		_, _ = pc.WriteTo(b, dst)
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := c.MediaStats().RTPFromStrangers; n < 40 {
		t.Errorf("%d packets from strangers: want the 40 forged packets counted", n)
	}
	if st, ok := c.SRTPStats(); !ok || st.AuthFailures != 0 {
		t.Errorf("srtp stats %+v: a stranger's packets were decrypted", st)
	}
	if got := c.State().State; got != sip.StateConnected {
		t.Errorf("call state %s after forged packets", got)
	}
	for deadline := time.Now().Add(sip.HangGuard); ; {
		q := pe.ev.waitEvent(t, sip.EventQualityReport).(sip.QualityReport)
		if q.FromStrangers >= 40 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("hang guard (%v): no quality report counted the forged packets; the last one's %+v", sip.HangGuard, q)
			break
		}
	}
	keys := c.KeyMaterialForTest()
	if len(keys) != 2 {
		t.Fatalf("%d keys settled, want ours and theirs", len(keys))
	}
	pe.hangupAndCheckAudio(t, c)

	checkNoSecrets(t, pe.log.String(), keys, "inline:", "a=crypto")
}

// checkNoSecrets fails when the log holds the password or any of the
// keys, in any of the encodings a careless log line would use, or any of
// the extra strings.
func checkNoSecrets(t *testing.T, log string, keys [][]byte, extra ...string) {
	t.Helper()
	if !strings.Contains(log, "call state") {
		t.Fatalf("the log is empty or not at debug level:\n%s", log)
	}
	secrets := append([]string{"secret1"}, extra...)
	for _, k := range keys {
		secrets = append(secrets, base64.StdEncoding.EncodeToString(k), base64.RawStdEncoding.EncodeToString(k)[:16],
			hex.EncodeToString(k)[:16], strings.ToUpper(hex.EncodeToString(k)[:16]), string(k), fmt.Sprint(k))
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the log holds secret %q", s)
		}
	}
}

// TestSecureRefusesPlain: a plain offer is answered 488 (no call.incoming);
// a plain peer cannot take our secure offer, and the call ends with a
// reason.
func TestSecureRefusesPlain(t *testing.T) {
	t.Parallel()
	pe := setupSecure(t, "", nil, "auto")
	if _, err := pe.b.Command("dial", "sip:1001@"+pe.k.TLSAddr()); err != nil {
		t.Fatal(err)
	}
	if !pe.b.WaitLog("488", sip.HangGuard) {
		t.Errorf("hang guard (%v): baresip did not see 488 for its plain offer", sip.HangGuard)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := pe.phone.Dial(ctx, "1002"); err != nil {
		t.Fatal(err)
	}
	end := pe.ev.waitCall(t, sip.StateEnded)
	if end.Secure {
		t.Errorf("ended call says secure")
	}
	t.Logf("outbound to a plain peer ended: %q", end.Reason)
	if end.Reason == "" {
		t.Errorf("no reason")
	}
	if rang(pe.ev) {
		t.Errorf("a plain offer rang the phone")
	}
}

// TestSecureInboundHold: baresip 1.0 offers only AES_CM_128_HMAC_SHA1_80
// (its other suites it only takes in answers). Hold and resume from each
// side re-offer the keys; audio flows both ways afterwards.
func TestSecureInboundHold(t *testing.T) {
	t.Parallel()
	relay := siptest.StartRTPRelay(t)
	pe := setupSecureWith(t, secureSetup{mediaEnc: "srtp-mand", answer: "auto", tone: 60 * time.Second,
		kam: siptest.KamailioOptions{RTPRelay: relay}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := pe.answerBaresip(ctx, t)
	if cs := pe.ev.waitCall(t, sip.StateConnected); !cs.Secure || cs.Suite != sdes.AESCM128HMACSHA180 {
		t.Errorf("call.state %+v", cs)
	}
	time.Sleep(time.Second)
	holdAndResumeBothSides(ctx, t, pe.peers, c, relay)
	if cs := c.State(); !cs.Secure {
		t.Errorf("after resume: %+v", cs)
	}
	if st, _ := c.SRTPStats(); st.Replays != 0 || st.AuthFailures != 0 {
		t.Errorf("srtp stats %+v", st)
	}
	pe.hangupAndCheckAudio(t, c)
}

// TestSecureInboundNoCommonSuite: an offer whose suites we do not accept
// is answered 488 and never rings.
func TestSecureInboundNoCommonSuite(t *testing.T) {
	t.Parallel()
	pe := setupSecure(t, "srtp-mand", []string{sdes.AEADAES256GCM}, "auto")
	if _, err := pe.b.Command("dial", "sip:1001@"+pe.k.TLSAddr()); err != nil {
		t.Fatal(err)
	}
	if !pe.b.WaitLog("488 Not Acceptable Here", sip.HangGuard) {
		t.Errorf("hang guard (%v): baresip did not get 488", sip.HangGuard)
	}
	if !strings.Contains(pe.log.String(), "no common SRTP crypto suite") {
		t.Errorf("the log does not say why")
	}
	if rang(pe.ev) {
		t.Errorf("the phone rang")
	}
}

// rang reports whether the phone emitted call.incoming.
func rang(e *events) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.all {
		if ev.name == sip.EventCallIncoming {
			return true
		}
	}
	return false
}

// TestSecureSIPS: with the server given as "sips:host:port" the phone
// registers, calls and is called with sips: URIs (Request-URI, To, From,
// Contact) over TLS, and Kamailio takes them; audio flows both ways.
func TestSecureSIPS(t *testing.T) {
	t.Parallel()
	ca := siptest.NewCA(t, "bpclient test CA")
	cert := ca.Loopback(t)
	k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: &cert})
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, []byte(ca.PEM), 0o644); err != nil {
		t.Fatal(err)
	}
	b := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.TLSAddr(),
		Transport: "tls", CAFile: caFile, Source: writeToneFor(t, 440, 8000, 10*time.Second), Codecs: []string{"pcmu"}, MediaEnc: "srtp-mand"})
	audio := newTestAudio(1000)
	logs := &syncBuffer{}
	p, ev := startPhone(t, sip.Config{Mode: "secure", Server: "sips:" + k.TLSAddr(), Domain: "127.0.0.1", Username: "1001",
		Password: "secret1", CAPEM: ca.PEM, Codecs: []string{"PCMU"}, RTPPortMin: 32000, RTPPortMax: 39999, KeepAlive: time.Second},
		sip.WithAudio(audio.factory), sip.WithLogger(zerolog.New(logs).Level(zerolog.DebugLevel)))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s\nbaresip:\n%s\nphone:\n%s", k.Log(), b.Log(), logs.String())
		}
	})
	if c := p.Config(); !c.SIPS || c.Transport != "tls" || c.Server != k.TLSAddr() {
		t.Fatalf("config %+v", c)
	}
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	if n := k.Count("REQ REGISTER sips:127.0.0.1 ", "/tls (sips:1001@127.0.0.1 -> sips:1001@127.0.0.1)"); n == 0 {
		t.Errorf("kamailio saw no sips: REGISTER")
	}
	// The keep-alive (every second here) is the CRLF ping on the TLS
	// connection (keepalive.go), and answered; no OPTIONS.
	for deadline := time.Now().Add(sip.HangGuard); p.PongsForTest() == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if p.PongsForTest() == 0 {
		t.Errorf("hang guard (%v): no keep-alive pong over TLS", sip.HangGuard)
	}
	if n := k.Count("REQ OPTIONS", "(sips:1001@"); n != 0 {
		t.Errorf("%d OPTIONS keep-alives over TLS", n)
	}

	// Inbound: Kamailio reaches us at the sips: Contact we registered.
	if _, err := b.Command("dial", "sip:1001@"+k.TLSAddr()); err != nil {
		t.Fatal(err)
	}
	in := ev.waitEvent(t, sip.EventCallIncoming).(sip.IncomingCall)
	ic, err := p.Call(in.CallID)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ic.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	ev.waitCall(t, sip.StateConnected)
	if err := ic.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ev.waitCall(t, sip.StateEnded)
	// The caller's ACK goes to the Contact we answered with: sips:.
	if k.Count("REQ ACK sips:1001@127.0.0.1:") == 0 {
		t.Errorf("no in-dialog request to our sips: Contact")
	}

	// Outbound, with audio both ways.
	c, err := p.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	ev.waitCall(t, sip.StateConnected)
	if k.Count("REQ INVITE sips:1002@127.0.0.1 ", "(sips:1001@127.0.0.1 -> sips:1002@127.0.0.1)") == 0 {
		t.Errorf("kamailio saw no sips: INVITE")
	}
	time.Sleep(2500 * time.Millisecond)
	pe := &securePeers{peers: &peers{k: k, b: b, phone: p, ev: ev, audio: audio}, log: logs, ca: ca}
	pe.hangupAndCheckAudio(t, c)
}
