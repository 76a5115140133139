package sip_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// TestSecureDTLSOutbound: with keying "dtls" our offer is
// UDP/TLS/RTP/SAVP with a fingerprint and a=setup:actpass; baresip
// (mediaenc=dtls_srtp) answers active, the handshake keys SRTP, and audio
// flows both ways. call.state says secure, keying dtls and the suite.
func TestSecureDTLSOutbound(t *testing.T) {
	t.Parallel()
	pe := setupSecureWith(t, secureSetup{mediaEnc: "dtls_srtp", keying: sip.KeyingDTLS})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pe.phone.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	cs := pe.ev.waitCall(t, sip.StateConnected, 15*time.Second)
	if !cs.Secure || cs.Keying != sip.KeyingDTLS || cs.Suite == "" {
		t.Errorf("call.state %+v, want secure with dtls keying", cs)
	}
	if !pe.b.WaitLog("DTLS-SRTP complete", 3*time.Second) {
		t.Errorf("baresip did not complete DTLS-SRTP")
	}
	time.Sleep(2500 * time.Millisecond)
	st, ok := c.SRTPStats()
	t.Logf("call.state %+v, srtp %+v", cs, st)
	if !ok || st.Suite != cs.Suite || st.Replays != 0 || st.AuthFailures != 0 || st.Malformed > 2 {
		t.Errorf("srtp stats %+v (%v)", st, ok)
	}
	pe.hangupAndCheckAudio(t, c)
}

// TestSecureDTLSInboundSecretsNotLogged: baresip offers DTLS-SRTP only
// (no a=crypto) with actpass; our secure phone, keying left at its sdes
// default, answers active and opens the handshake. Audio flows both
// ways, and the debug log of the whole call holds neither the DTLS master
// secrets nor any SRTP key exported from them.
func TestSecureDTLSInboundSecretsNotLogged(t *testing.T) {
	t.Parallel()
	pe := setupSecureWith(t, secureSetup{mediaEnc: "dtls_srtp"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pe.b.Command("dial", "sip:1001@"+pe.k.TLSAddr()); err != nil {
		t.Fatal(err)
	}
	in := pe.ev.waitEvent(t, sip.EventCallIncoming, 10*time.Second).(sip.IncomingCall)
	c, err := pe.phone.Call(in.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	cs := pe.ev.waitCall(t, sip.StateConnected, 15*time.Second)
	if !cs.Secure || cs.Keying != sip.KeyingDTLS || cs.Suite == "" {
		t.Errorf("call.state %+v, want secure with dtls keying", cs)
	}
	if !pe.b.WaitLog("DTLS-SRTP complete", 3*time.Second) {
		t.Errorf("baresip did not complete DTLS-SRTP")
	}
	time.Sleep(2500 * time.Millisecond)
	if st, ok := c.SRTPStats(); !ok || st.Replays != 0 || st.AuthFailures != 0 {
		t.Errorf("srtp stats %+v (%v)", st, ok)
	}
	secrets := c.DTLSSecretsForTest()
	if len(secrets) < 6 {
		t.Fatalf("%d DTLS secrets, want the master secret and the exported keys", len(secrets))
	}
	pe.hangupAndCheckAudio(t, c)
	log := pe.log.String()
	if !strings.Contains(log, "dtls-srtp keyed") || !strings.Contains(log, "peerFingerprint") {
		t.Errorf("the log does not say how the call was keyed")
	}
	checkNoSecrets(t, log, secrets, "CLIENT_RANDOM", "EXTRACTOR")
}

// TestSecureDTLSFingerprintMismatch: the answer's fingerprint was
// tampered with on the way (Kamailio rewrites it), so baresip's
// certificate does not match it: the handshake fails, the call ends with
// a reason naming the mismatch, and no audio was opened.
func TestSecureDTLSFingerprintMismatch(t *testing.T) {
	t.Parallel()
	pe := setupSecureWith(t, secureSetup{mediaEnc: "dtls_srtp", keying: sip.KeyingDTLS,
		kam: siptest.KamailioOptions{MangleFingerprint: true}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pe.phone.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	end := pe.ev.waitCall(t, sip.StateEnded, 15*time.Second)
	if end.Secure || !strings.Contains(end.Reason, "could not be secured") || !strings.Contains(end.Reason, "does not match the fingerprint") {
		t.Errorf("ended %+v", end)
	}
	t.Logf("ended: %q", end.Reason)
	if pe.k.Count("fingerprint mangled") == 0 {
		t.Errorf("kamailio did not tamper with the fingerprint")
	}
	// No media: the call never connected, and its audio was opened at
	// most once, for the local ringback before the answer.
	for _, st := range pe.ev.callStates() {
		if st == sip.StateConnected {
			t.Errorf("the call connected: %v", pe.ev.callStates())
		}
	}
	if n := pe.audio.openCount(c.ID()); n > 1 {
		t.Errorf("audio opened %d times: media started on a call that could not be secured", n)
	}
}
