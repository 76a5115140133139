package sip_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
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
	cs := pe.waitDTLSConnected(t)
	time.Sleep(2500 * time.Millisecond)
	st, ok := c.SRTPStats()
	t.Logf("call.state %+v, srtp %+v", cs, st)
	if !ok || st.Suite != cs.Suite || st.Replays != 0 || st.AuthFailures+st.Malformed != 0 {
		t.Errorf("srtp stats %+v (%v)", st, ok)
	}
	checkRTPClean(t, pe.log.String(), pe.b.Log())
	logHandshake(t, pe.log.String())
	pe.hangupAndCheckAudio(t, c)
}

// checkRTPClean fails when an SRTP (RTP) packet was dropped. No SRTP or
// SRTCP packet may fail (the stats above): what baresip 1.0 sends plain
// around its key setup, RTCP before its RTCP association is keyed or RTP
// before its RTP one, the phone counts apart (beforeKeys).
//
// The exception: baresip starts sending when the first of its two
// associations has finished, so when RTCP's finishes first, its RTP goes
// out plain until RTP's has too. The phone counts those packets apart
// (sent before the peer had keys: plain, numbered before its first SRTP
// packet); they must come from that order in baresip's log, and no other
// RTP packet may be dropped.
func checkRTPClean(t *testing.T, log, baresipLog string) {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `"unprotect rtp:`) {
			t.Errorf("SRTP packets were dropped on a DTLS-keyed call: %s", line)
			return
		}
	}
	m := regexp.MustCompile(`"stream":"rtp","packets":([0-9]+),"message":"dropped what the peer sent before it had keys`).FindStringSubmatch(log)
	if m == nil {
		return
	}
	t.Logf("%s plain RTP packets baresip sent before it had keyed RTP, dropped", m[1])
	rtcpDone := strings.Index(baresipLog, "DTLS-SRTP complete (audio/RTCP)")
	rtpDone := strings.Index(baresipLog, "DTLS-SRTP complete (audio/RTP)")
	if rtcpDone < 0 || rtpDone >= 0 && rtpDone < rtcpDone {
		t.Errorf("%s RTP packets counted as sent before baresip's keys, but baresip did not key RTCP before RTP", m[1])
	}
}

// logHandshake reports the handshake time the phone logged (BENCHMARKS.md
// quotes it): from our first DTLS flight (or the peer's) to exported keys.
func logHandshake(t *testing.T, log string) {
	if m := regexp.MustCompile(`"client":(true|false),"handshake":([0-9.]+)`).FindStringSubmatch(log); m != nil {
		t.Logf("DTLS handshake with baresip (we are the client: %s): %s ms", m[1], m[2])
	}
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
	c := pe.answerBaresip(ctx, t)
	pe.waitDTLSConnected(t)
	time.Sleep(2500 * time.Millisecond)
	if st, ok := c.SRTPStats(); !ok || st.Replays != 0 || st.AuthFailures+st.Malformed != 0 {
		t.Errorf("srtp stats %+v (%v)", st, ok)
	}
	checkRTPClean(t, pe.log.String(), pe.b.Log())
	logHandshake(t, pe.log.String())
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
	// Nor do the events the page receives (call.state, quality.report).
	pe.ev.mu.Lock()
	evs, err := json.Marshal(fmt.Sprint(pe.ev.all))
	for _, e := range pe.ev.all {
		b, _ := json.Marshal(e.params)
		evs = append(evs, b...)
	}
	pe.ev.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	checkNoSecrets(t, "call state"+string(evs), secrets)
}

// TestSecureDTLSFingerprintMismatch: the answer's fingerprint was
// tampered with on the way (Kamailio rewrites it), so baresip's
// certificate does not match it: the handshake fails, the call ends with
// a reason naming the mismatch, and no audio was opened.
func TestSecureDTLSFingerprintMismatch(t *testing.T) {
	t.Parallel()
	pe := setupSecureWith(t, secureSetup{mediaEnc: "dtls_srtp", keying: sip.KeyingDTLS,
		kam: siptest.KamailioOptions{MangleFingerprint: "replies"}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pe.phone.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	end := pe.ev.waitCall(t, sip.StateEnded)
	if end.Secure || !strings.Contains(end.Reason, "could not be secured") || !strings.Contains(end.Reason, "does not match the fingerprint") {
		t.Errorf("ended %+v", end)
	}
	t.Logf("ended: %q", end.Reason)
	if pe.k.Count("fingerprint mangled") == 0 {
		t.Errorf("kamailio did not tamper with the fingerprint")
	}
	// No media: the call never connected, and its audio was opened at
	// most once, as it was dialed (the local ringback plays through it).
	for _, st := range pe.ev.callStates() {
		if st == sip.StateConnected {
			t.Errorf("the call connected: %v", pe.ev.callStates())
		}
	}
	if n := pe.audio.openCount(c.ID()); n > 1 {
		t.Errorf("audio opened %d times: media started on a call that could not be secured", n)
	}
}

// TestSecureDTLSHold: hold and resume from each side re-offer the same
// fingerprint; the association and its keys stay, and SRTP keeps flowing
// after the last resume.
func TestSecureDTLSHold(t *testing.T) {
	t.Parallel()
	pe := setupSecureWith(t, secureSetup{mediaEnc: "dtls_srtp", keying: sip.KeyingDTLS, tone: 60 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := pe.phone.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateConnected)
	time.Sleep(2 * time.Second)
	holdAndResumeBothSides(ctx, t, pe.peers, c, nil) // the relay could not decrypt
	if cs := c.State(); !cs.Secure || cs.Keying != sip.KeyingDTLS {
		t.Errorf("after resume: %+v", cs)
	}
	if st, _ := c.SRTPStats(); st.Replays != 0 || st.AuthFailures+st.Malformed != 0 {
		t.Errorf("srtp stats %+v", st)
	}
	checkRTPClean(t, pe.log.String(), pe.b.Log())
	if strings.Count(pe.b.Log(), "start DTLS") != 1 {
		t.Errorf("baresip started DTLS again on a re-INVITE")
	}
	// baresip's recording keeps what it heard before the hold
	// (hold_test.go says why).
	pe.hangupAndCheckAudio(t, c)
}

// TestSecureDTLSInboundFingerprintMismatch: baresip's offer reaches us
// with a tampered fingerprint. We answer (active), our handshake finds
// its certificate does not match, and the call ends with that reason and
// a BYE: the call's audio, opened once while it rang (so that a call
// that connects hears its first words), carried nothing and was closed;
// baresip's call ends too.
func TestSecureDTLSInboundFingerprintMismatch(t *testing.T) {
	t.Parallel()
	pe := setupSecureWith(t, secureSetup{mediaEnc: "dtls_srtp", kam: siptest.KamailioOptions{MangleFingerprint: "requests"}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := pe.answerBaresip(ctx, t)
	end := pe.ev.waitCall(t, sip.StateEnded)
	if end.Secure || !strings.Contains(end.Reason, "does not match the fingerprint") {
		t.Errorf("ended %+v", end)
	}
	if pe.k.Count("fingerprint mangled in INVITE") == 0 {
		t.Errorf("kamailio did not tamper with the fingerprint")
	}
	if n := pe.audio.openCount(c.ID()); n > 1 {
		t.Errorf("audio opened %d times for a call that could not be secured (once, while it rang)", n)
	}
	for _, st := range pe.ev.callStates() {
		if st == sip.StateConnected {
			t.Errorf("the call connected: %v", pe.ev.callStates())
		}
	}
	// We hang up (BYE towards baresip). baresip, told of the refusal by
	// the DTLS alert, hangs up too, and its BYE may come first: then the
	// dialog is over and ours is not due (RFC 3261 §15.1.2). Either way
	// a BYE ends the dialog.
	deadline := time.Now().Add(sip.HangGuard)
	for {
		ours := pe.k.Count("REQ BYE sip:1002-", "(sip:1001@")
		theirs := pe.k.Count("REQ BYE sip:1001@", "(sip:1002@")
		if ours+theirs > 0 {
			if ours == 0 {
				t.Logf("baresip's BYE came first")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("hang guard (%v): no BYE ended the dialog", sip.HangGuard)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitDTLSConnected waits for the call to connect secured by DTLS-SRTP,
// and for baresip to say its handshake completed.
func (pe *securePeers) waitDTLSConnected(t *testing.T) sip.CallState {
	t.Helper()
	cs := pe.ev.waitCall(t, sip.StateConnected)
	if !cs.Secure || cs.Keying != sip.KeyingDTLS || cs.Suite == "" {
		t.Errorf("call.state %+v, want secure with dtls keying", cs)
	}
	if !pe.b.WaitLog("DTLS-SRTP complete", sip.HangGuard) {
		t.Errorf("hang guard (%v): baresip did not complete DTLS-SRTP", sip.HangGuard)
	}
	return cs
}
