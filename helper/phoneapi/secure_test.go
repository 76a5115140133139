package phoneapi_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/internal/siptest"
)

// TestSecureModeThroughTheAPI: phone.configure {"mode":"secure"} with a
// caPem registers over TLS, a call to baresip (mediaenc=srtp-mand) shows
// "secure": true and the suite in call.state, and the log, the events and
// the status hold neither the password nor any a=crypto key.
func TestSecureModeThroughTheAPI(t *testing.T) {
	const password = "pw-Secure-91b2c4"
	ca, k, _ := startSecurePBX(t, password, "srtp-mand")

	logBuf := &syncBuf{}
	ev := &recorder{ch: make(chan string, 1024)}
	svc := phoneapi.New(phoneapi.Options{Logger: zerolog.New(logBuf).Level(zerolog.DebugLevel), Events: ev})
	t.Cleanup(svc.Close)
	if !slices.Contains(svc.Capabilities(), "secure-softphone") {
		t.Errorf("capabilities %v", svc.Capabilities())
	}
	// Secure mode refuses a plain transport.
	if _, jerr := invoke(t, svc, "phone.configure", map[string]any{"mode": "secure", "server": k.Addr(), "transport": "udp",
		"username": "1001", "password": password}); jerr == nil || !strings.Contains(jerr.Message, "only over tls") {
		t.Fatalf("secure over udp: %v", jerr)
	}
	mustInvoke(t, svc, "phone.configure", map[string]any{"mode": "secure", "server": k.TLSAddr(), "domain": "127.0.0.1",
		"username": "1001", "password": password, "caPem": ca.PEM, "codecs": []string{"PCMU"}})
	mustInvoke(t, svc, "phone.register", nil)
	ev.wait(t, `"state":"registered"`, 10*time.Second)

	callID := dial(t, svc, "1002")
	connected := ev.wait(t, `"state":"connected"`, 10*time.Second)
	if !strings.Contains(connected, `"secure":true`) || !strings.Contains(connected, `"suite":"AES_CM_128_HMAC_SHA1_80"`) {
		t.Errorf("call.state %s", connected)
	}
	q := ev.wait(t, `"quality.report"`, 8*time.Second)
	if !strings.Contains(q, `"srtp":{"suite":"AES_CM_128_HMAC_SHA1_80"`) {
		t.Errorf("quality.report %s", q)
	}
	st := mustInvoke(t, svc, "phone.status", nil)
	if !strings.Contains(string(st), `"mode":"secure"`) || !strings.Contains(string(st), `"transport":"tls"`) || !strings.Contains(string(st), `"secure":true`) {
		t.Errorf("status: %s", st)
	}
	mustInvoke(t, svc, "call.hangup", map[string]string{"callId": callID})
	ev.wait(t, `"state":"ended"`, 5*time.Second)
	mustInvoke(t, svc, "phone.unregister", nil)

	ev.mu.Lock()
	all := strings.Join(ev.events, "\n")
	ev.mu.Unlock()
	logText := logBuf.String()
	for name, text := range map[string]string{"log": logText, "events": all, "status": string(st)} {
		for _, secret := range []string{password, "inline:", "crypto:", "PRIVATE KEY", "response="} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains %q", name, secret)
			}
		}
	}
	if !strings.Contains(logText, "call connected") {
		t.Errorf("the log does not cover the call:\n%s", logText)
	}
}

// TestSecurePolicyCA: the server's certificate comes from a private CA
// that the page does not name. Registration succeeds when the CA is in
// the administrator's policy (as a file or as PEM text), and fails with
// "unknown authority" when it is not, or only in the user's policy file
// (a user cannot widen trust).
func TestSecurePolicyCA(t *testing.T) {
	ca := siptest.NewCA(t, "private CA")
	cert := ca.Loopback(t)
	k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: &cert})
	dir := t.TempDir()
	caFile := filepath.Join(dir, "private-ca.pem")
	if err := os.WriteFile(caFile, []byte(ca.PEM), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		admin, user policy.File
		want        string
	}{
		{"admin-caFile", policy.File{CAFile: caFile}, policy.File{}, `"state":"registered"`},
		{"admin-caPem", policy.File{CAPEM: ca.PEM}, policy.File{}, `"state":"registered"`},
		{"none", policy.File{}, policy.File{}, "unknown authority"},
		{"user-only", policy.File{}, policy.File{CAFile: caFile, CAPEM: ca.PEM}, "unknown authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdir := t.TempDir()
			store := &policy.Store{AdminFile: filepath.Join(pdir, "admin.json"), UserFile: filepath.Join(pdir, "user.json")}
			if err := policy.WriteFile(store.AdminFile, &tc.admin); err != nil {
				t.Fatal(err)
			}
			if err := policy.WriteFile(store.UserFile, &tc.user); err != nil {
				t.Fatal(err)
			}
			ev := &recorder{ch: make(chan string, 1024)}
			svc := phoneapi.New(phoneapi.Options{Logger: zerolog.Nop(), Events: ev, Policy: store})
			t.Cleanup(svc.Close)
			mustInvoke(t, svc, "phone.configure", map[string]any{"mode": "secure", "server": k.TLSAddr(), "domain": "127.0.0.1",
				"username": "1001", "password": "secret1", "codecs": []string{"PCMU"}})
			mustInvoke(t, svc, "phone.register", nil)
			got := ev.wait(t, `"registration.state"`, 10*time.Second)
			if !strings.Contains(got, tc.want) {
				t.Errorf("registration %s, want %q", got, tc.want)
			}
		})
	}
}

// TestSecureDTLSThroughTheAPI: phone.configure {"keying": "dtls"} places a
// DTLS-SRTP call to baresip (mediaenc=dtls_srtp); call.state says so, and
// the log, the events and the status hold no password, no key and no
// "EXTRACTOR"/"CLIENT_RANDOM" trace of the DTLS secrets.
func TestSecureDTLSThroughTheAPI(t *testing.T) {
	const password = "pw-Dtls-5e1f07"
	ca, k, b := startSecurePBX(t, password, "dtls_srtp")

	logBuf := &syncBuf{}
	ev := &recorder{ch: make(chan string, 1024)}
	svc := phoneapi.New(phoneapi.Options{Logger: zerolog.New(logBuf).Level(zerolog.DebugLevel), Events: ev})
	t.Cleanup(svc.Close)
	if !slices.Contains(svc.Capabilities(), "dtls-srtp") {
		t.Errorf("capabilities %v", svc.Capabilities())
	}
	mustInvoke(t, svc, "phone.configure", map[string]any{"mode": "secure", "keying": "dtls", "server": k.TLSAddr(), "domain": "127.0.0.1",
		"username": "1001", "password": password, "caPem": ca.PEM, "codecs": []string{"PCMU"}})
	mustInvoke(t, svc, "phone.register", nil)
	ev.wait(t, `"state":"registered"`, 10*time.Second)
	callID := dial(t, svc, "1002")
	connected := ev.wait(t, `"state":"connected"`, 15*time.Second)
	if !strings.Contains(connected, `"secure":true`) || !strings.Contains(connected, `"keying":"dtls"`) {
		t.Errorf("call.state %s", connected)
	}
	if !b.WaitLog("DTLS-SRTP complete", 3*time.Second) {
		t.Errorf("baresip did not complete DTLS-SRTP")
	}
	ev.wait(t, `"quality.report"`, 8*time.Second)
	st := mustInvoke(t, svc, "phone.status", nil)
	if !strings.Contains(string(st), `"keying":"dtls"`) {
		t.Errorf("status: %s", st)
	}
	mustInvoke(t, svc, "call.hangup", map[string]string{"callId": callID})
	ev.wait(t, `"state":"ended"`, 5*time.Second)

	ev.mu.Lock()
	all := strings.Join(ev.events, "\n")
	ev.mu.Unlock()
	logText := logBuf.String()
	if !strings.Contains(logText, "dtls-srtp keyed") {
		t.Errorf("the log does not cover the handshake:\n%s", logText)
	}
	for name, text := range map[string]string{"log": logText, "events": all, "status": string(st)} {
		for _, secret := range []string{password, "EXTRACTOR", "CLIENT_RANDOM", "PRIVATE KEY", "response=", "master"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains %q", name, secret)
			}
		}
	}
}

// startSecurePBX is Kamailio on TLS with a certificate of a private CA,
// where 1001 has password, and baresip as 1002 registered over TLS,
// playing a 440 Hz tone with media encryption mediaEnc.
func startSecurePBX(t *testing.T, password, mediaEnc string) (*siptest.CA, *siptest.Kamailio, *siptest.Baresip) {
	t.Helper()
	ca := siptest.NewCA(t, "bpclient test CA")
	cert := ca.Loopback(t)
	k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: &cert,
		Users: []siptest.User{{Name: "1001", Password: password}, {Name: "1002", Password: "secret2"}}})
	dir := t.TempDir()
	wav := filepath.Join(dir, "tone.wav")
	f, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	if err := dsp.WriteWAV(f, 8000, 1, dsp.Sine(80000, 440, 8000, 0.3)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, []byte(ca.PEM), 0o644); err != nil {
		t.Fatal(err)
	}
	b := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.User{Name: "1002", Password: "secret2"}, Registrar: k.TLSAddr(),
		Transport: "tls", CAFile: caFile, Source: wav, MediaEnc: mediaEnc})
	return ca, k, b
}
