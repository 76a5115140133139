package sip_test

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// Re-negotiations of a secure call whose keys cannot be used. The peer
// that sends them is a second phone (1002) with test hooks that edit its
// SDP: baresip cannot be made to send a broken a=crypto. Both phones
// talk SIP over TLS through Kamailio, SRTP directly to each other.

// securePair is a connected SDES call between the phone under test, a
// (1001, 1000 Hz microphone), and the peer, b (1002, 440 Hz), which
// placed it; k is the Kamailio between them.
type securePair struct {
	a, b           *sip.Phone
	evA, evB       *events
	audioA, audioB *testAudio
	logA           *syncBuffer
	callA, callB   *sip.Call
	k              *siptest.Kamailio
}

func setupSecurePair(ctx context.Context, t *testing.T) *securePair {
	return setupSecurePairWith(ctx, t, siptest.KamailioOptions{})
}

// setupSecurePairWith is setupSecurePair through a Kamailio with kopts
// (its TLS listener is added).
func setupSecurePairWith(ctx context.Context, t *testing.T, kopts siptest.KamailioOptions) *securePair {
	t.Helper()
	ca := siptest.NewCA(t, "bpclient test CA")
	cert := ca.Loopback(t)
	kopts.TLS = &cert
	k := siptest.StartKamailio(t, kopts)
	pr := &securePair{audioA: newTestAudio(1000), audioB: newTestAudio(440), k: k}
	var logB *syncBuffer
	pr.a, pr.evA, pr.logA = startSecurePhone(t, k, ca, siptest.DefaultUsers[0], pr.audioA, nil, "")
	pr.b, pr.evB, logB = startSecurePhone(t, k, ca, siptest.DefaultUsers[1], pr.audioB, nil, "")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s\nphone 1001:\n%s\nphone 1002:\n%s", k.Log(), pr.logA.String(), logB.String())
		}
	})
	var err error
	if pr.callB, err = pr.b.Dial(ctx, "1001"); err != nil {
		t.Fatal(err)
	}
	in := pr.evA.waitEvent(t, sip.EventCallIncoming).(sip.IncomingCall)
	if pr.callA, err = pr.a.Call(in.CallID); err != nil {
		t.Fatal(err)
	}
	if err := pr.callA.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if cs := pr.evA.waitCall(t, sip.StateConnected); !cs.Secure || cs.Keying != sip.KeyingSDES {
		t.Fatalf("call.state %+v", cs)
	}
	pr.evB.waitCall(t, sip.StateConnected)
	return pr
}

// waitHeard waits until the speaker of call id has been given a second
// of audio past since, then checks it carries freq.
func waitHeard(t *testing.T, what string, a *testAudio, id string, since int, freq float64) {
	t.Helper()
	deadline := time.Now().Add(sip.HangGuard)
	for {
		heard, rate := a.heard(id)
		if rate > 0 && len(heard) >= since+rate {
			checkTone(t, what, heard[since:], rate, freq)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hang guard (%v): %s: %d samples since the mark", sip.HangGuard, what, len(heard)-since)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func heardSoFar(a *testAudio, id string) int {
	heard, _ := a.heard(id)
	return len(heard)
}

var cryptoLine = regexp.MustCompile(`(?m)^a=crypto:.*\r?\n`)

// withCrypto replaces the SDP's a=crypto lines with lines (none: none).
func withCrypto(lines ...string) func(string) string {
	return func(sdp string) string {
		repl := ""
		for _, l := range lines {
			repl += "a=crypto:" + l + "\r\n"
		}
		first := true
		return cryptoLine.ReplaceAllStringFunc(sdp, func(string) string {
			if first {
				first = false
				return repl
			}
			return ""
		})
	}
}

// TestSecureReofferBadKeysRefused: the peer re-INVITEs a connected SDES
// call with keys we cannot use. Each re-INVITE is refused with 488 before
// anything changes: the call stays connected with its keys, and audio
// still flows both ways, decrypted, afterwards. No key reaches our log.
func TestSecureReofferBadKeysRefused(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pr := setupSecurePair(ctx, t)
	waitHeard(t, "1001 before the re-INVITEs", pr.audioA, pr.callA.ID(), 0, 440)
	keysBefore := pr.callA.KeyMaterialForTest()

	short := base64.StdEncoding.EncodeToString(make([]byte, 20)) // 30 bytes wanted
	good := base64.StdEncoding.EncodeToString(make([]byte, 30))
	for _, tc := range []struct {
		name string
		edit func(string) string
	}{
		{"short key", withCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + short)},
		{"not base64", withCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:!!!!")},
		{"unsupported suite", withCrypto("1 F8_128_HMAC_SHA1_80 inline:" + good)},
		{"another suite", withCrypto("1 AES_CM_128_HMAC_SHA1_32 inline:" + good)},
		{"weakened", withCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + good + " UNENCRYPTED_SRTP")},
		{"no a=crypto", withCrypto()},
		{"plain RTP", func(sdp string) string {
			return strings.Replace(withCrypto()(sdp), "RTP/SAVP", "RTP/AVP", 1)
		}},
	} {
		code, err := pr.callB.ReofferForTest(ctx, tc.edit)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if code != 488 {
			t.Errorf("%s: re-INVITE answered %d, want 488", tc.name, code)
		}
	}

	if st := pr.callA.State(); st.State != sip.StateConnected || !st.Secure {
		t.Errorf("after the refused re-INVITEs: %+v", st)
	}
	for _, st := range pr.evA.callStates() {
		if strings.HasPrefix(st, sip.StateEnded) {
			t.Errorf("call states %v", pr.evA.callStates())
		}
	}
	keysAfter := pr.callA.KeyMaterialForTest()
	if len(keysAfter) != len(keysBefore) {
		t.Fatalf("keys: %d before, %d after", len(keysBefore), len(keysAfter))
	}
	for i := range keysBefore {
		if string(keysAfter[i]) != string(keysBefore[i]) {
			t.Errorf("key %d changed by a refused re-INVITE", i)
		}
	}
	waitHeard(t, "1001 after the re-INVITEs", pr.audioA, pr.callA.ID(), heardSoFar(pr.audioA, pr.callA.ID()), 440)
	waitHeard(t, "1002 after the re-INVITEs", pr.audioB, pr.callB.ID(), heardSoFar(pr.audioB, pr.callB.ID()), 1000)
	for _, c := range []*sip.Call{pr.callA, pr.callB} {
		if st, ok := c.SRTPStats(); !ok || st.AuthFailures != 0 || st.Malformed != 0 {
			t.Errorf("%s: srtp stats %+v", c.ID(), st)
		}
	}

	if err := pr.callA.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if end := pr.evB.waitCall(t, sip.StateEnded); end.Reason != "remote hangup" {
		t.Errorf("1002's end reason %q", end.Reason)
	}
	logs := pr.logA.String()
	if !strings.Contains(logs, "re-INVITE refused (488)") {
		t.Errorf("no log line for the refusal")
	}
	for _, k := range keysBefore {
		if strings.Contains(logs, base64.StdEncoding.EncodeToString(k)) {
			t.Errorf("a key of the call is in the log")
		}
	}
}

// TestSecureReanswerBadKeysHangsUp: we put the call on hold and the
// peer's 200 answers with keys we cannot use (Kamailio shortens the key
// of the answer on its way). The 200 has committed the peer to them (it
// is ACKed; an answer cannot be refused), so what it sends would not
// decrypt: the call ends with our BYE and a reason that says why, on
// both sides.
func TestSecureReanswerBadKeysHangsUp(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pr := setupSecurePairWith(ctx, t, siptest.KamailioOptions{ShortHoldAnswerKey: true})
	err := pr.callA.Hold(ctx)
	if err == nil {
		t.Fatal("the hold succeeded")
	}
	if pr.k.Count("hold answer key shortened in INVITE 200") != 1 {
		t.Errorf("kamailio did not shorten the hold answer's key once:\n%s", pr.k.Log())
	}
	end := pr.evA.waitCall(t, sip.StateEnded)
	if !strings.HasPrefix(end.Reason, "secure media failed: ") || !strings.Contains(end.Reason, "crypto attribute") {
		t.Errorf("end reason %q", end.Reason)
	}
	// The peer's call ends on our BYE.
	if peerEnd := pr.evB.waitCall(t, sip.StateEnded); peerEnd.Reason != "remote hangup" {
		t.Errorf("1002's end reason %q", peerEnd.Reason)
	}
	for _, st := range pr.evA.callStates() {
		if strings.HasPrefix(st, sip.StateHeld) {
			t.Errorf("reported held: %v", pr.evA.callStates())
		}
	}
}
