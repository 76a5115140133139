package liblog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// Secrets a library could log inside a SIP message or an SDP.
const (
	secretResponse = "6629fae49393a05397450978507c4ef1"
	sdesKey        = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
	password       = "secret1"
)

var sipMessage = "REGISTER sip:127.0.0.1 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r\n" +
	`Authorization: Digest username="1001", realm="127.0.0.1", nonce="dcd98b7102dd2f0e", uri="sip:127.0.0.1", response="` + secretResponse + `", algorithm=MD5` + "\r\n" +
	"Proxy-Authorization: Basic MTAwMTpzZWNyZXQx\r\n" +
	"Content-Type: application/sdp\r\n\r\n" +
	"v=0\r\nm=audio 4000 RTP/SAVP 0\r\n" +
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + sdesKey + "|2^20|1:32\r\n"

func records(t *testing.T, out *bytes.Buffer) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func assertNoSecrets(t *testing.T, out string) {
	t.Helper()
	for _, s := range []string{secretResponse, sdesKey, password, "MTAwMTpzZWNyZXQx"} {
		if strings.Contains(out, s) {
			t.Errorf("the log holds the secret %q:\n%s", s, out)
		}
	}
}

// TestSipgoSecrets: sipgo logs a message it could not parse whole, and
// attributes with secrets in their name: the log keeps what helps
// support (the request line, the header names) and none of the secrets.
func TestSipgoSecrets(t *testing.T) {
	var out bytes.Buffer
	log := Sipgo(zerolog.New(&out).Level(zerolog.DebugLevel))
	log.Error("failed to parse", "data", sipMessage, "error", "bad header")
	log.Warn("dialing with "+sipMessage, "password", password, slog.Group("auth", "response", secretResponse))
	log.With("Authorization", "Digest response="+secretResponse).WithGroup("call").Error("rejected", "sdp", sipMessage)
	text := out.String()
	assertNoSecrets(t, text)
	for _, keep := range []string{"REGISTER sip:127.0.0.1 SIP/2.0", "Authorization: [redacted]", "inline:[redacted]", `"lib":"sipgo"`} {
		if !strings.Contains(text, keep) && !strings.Contains(text, strings.ReplaceAll(keep, "\r\n", `\r\n`)) {
			t.Errorf("the log lacks %q:\n%s", keep, text)
		}
	}
	if recs := records(t, &out); len(recs) != 3 {
		t.Errorf("%d records, want 3:\n%s", len(recs), text)
	}
}

// TestPionSecrets: the same through pion's logger factory.
func TestPionSecrets(t *testing.T) {
	var out bytes.Buffer
	l := Pion(zerolog.New(&out).Level(zerolog.DebugLevel)).NewLogger("dtls")
	l.Debugf("handshake parse failed: %s", sipMessage)
	l.Errorf("keys {MasterKey:[1 2 3 4] MasterSalt:[5 6 7]} password=%s", password)
	l.Warn(sipMessage)
	text := out.String()
	assertNoSecrets(t, text)
	if strings.Contains(text, "1 2 3 4") || strings.Contains(text, "5 6 7") {
		t.Errorf("the log holds an SRTP master key or salt:\n%s", text)
	}
	recs := records(t, &out)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3:\n%s", len(recs), text)
	}
	for i, want := range []string{"debug", "error", "warn"} {
		if recs[i]["level"] != want || recs[i]["lib"] != "pion" || recs[i]["scope"] != "dtls" {
			t.Errorf("record %d: %v, want level %s, lib pion, scope dtls", i, recs[i], want)
		}
	}
}

// TestSipgoLevels: sipgo's warnings and errors keep their level, the
// chatty ones are debug, and its debug and info are not even formatted.
func TestSipgoLevels(t *testing.T) {
	var out bytes.Buffer
	log := Sipgo(zerolog.New(&out).Level(zerolog.DebugLevel))
	log.Debug("Keep alive CRLF received")
	log.Info("listening")
	log.Warn("DNS resolution is slow", "dur", "2s")
	log.Error("Read connection error", "laddr", "127.0.0.1:5060")
	log.Error("failed to parse", "data", "junk")
	log.Warn("SIP request handler not found", "method", "PUBLISH")
	recs := records(t, &out)
	want := []struct{ level, msg string }{
		{"warn", "DNS resolution is slow"},
		{"error", "Read connection error"},
		{"debug", "failed to parse"},
		{"debug", "SIP request handler not found"},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(recs), len(want), out.String())
	}
	for i, w := range want {
		if recs[i]["level"] != w.level || recs[i]["message"] != w.msg {
			t.Errorf("record %d: %v, want %s %q", i, recs[i], w.level, w.msg)
		}
	}
	if recs[1]["laddr"] != "127.0.0.1:5060" || recs[3]["method"] != "PUBLISH" {
		t.Errorf("attributes lost: %v", recs)
	}
	if h := log.Handler(); h.Enabled(t.Context(), slog.LevelInfo) {
		t.Error("info is enabled: sipgo would format what is dropped")
	}
	if Sipgo(zerolog.Nop()).Handler().Enabled(t.Context(), slog.LevelError) {
		t.Error("a disabled logger enables errors")
	}
}

// TestGroups: WithGroup and WithAttrs qualify keys as slog does.
func TestGroups(t *testing.T) {
	var out bytes.Buffer
	log := Sipgo(zerolog.New(&out)).With("tx", "1").WithGroup("req").With("method", "INVITE").WithGroup("via")
	log.Warn("x", "host", "h", slog.Group("g", "a", "b"))
	recs := records(t, &out)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	for k, v := range map[string]string{"tx": "1", "req.method": "INVITE", "req.via.host": "h", "req.via.g.a": "b"} {
		if recs[0][k] != v {
			t.Errorf("%s = %v, want %s (%v)", k, recs[0][k], v, recs[0])
		}
	}
}

// FuzzRedact: a digest response or an inline key appended to any text
// never survives, and redacting twice changes nothing more.
func FuzzRedact(f *testing.F) {
	f.Add(sipMessage)
	f.Add("response=")
	f.Add(`Authorization: Digest response="`)
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, secretResponse) || strings.Contains(s, sdesKey) {
			return // the input itself holds the secret the tails test for
		}
		once := Redact(s)
		if twice := Redact(once); twice != once {
			t.Fatalf("not stable:\n%q\n%q", once, twice)
		}
		for _, tail := range []string{
			"\r\nAuthorization: Digest response=\"" + secretResponse + "\"\r\n",
			"\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + sdesKey + "|2^20\r\n",
			"\r\na=ice-pwd:" + sdesKey + "\r\n",
			"\nStarted agent: isControlling? true, remoteUfrag: \"u\", remotePwd: \"" + sdesKey + "\"\n",
			"\n-----BEGIN EC PRIVATE KEY-----\n" + sdesKey + "\n-----END EC PRIVATE KEY-----\n",
		} {
			if out := Redact(s + tail); strings.Contains(out, secretResponse) || strings.Contains(out, sdesKey) {
				t.Fatalf("secret kept: %q", out)
			}
		}
	})
}
