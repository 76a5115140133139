package sip_test

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/sip"
)

// signalWriter keeps a log and says when a line holding want arrived.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.seen != nil && bytes.Contains(p, []byte(w.want)) {
		close(w.seen)
		w.seen = nil
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestSipgoLogsReachThePhoneLog: what sipgo logs goes to the phone's
// logger (here: the server answers with a datagram sipgo cannot parse,
// logged at debug level as lib=sipgo), and the secrets in it do not.
func TestSipgoLogsReachThePhoneLog(t *testing.T) {
	t.Parallel()
	server, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	const response, key = "6629fae49393a05397450978507c4ef1", "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
	junk := "SIP/2.0 two hundred OK\r\n" +
		`Authorization: Digest username="1001", realm="127.0.0.1", response="` + response + `"` + "\r\n\r\n" +
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20|1:32\r\n"
	go func() {
		buf := make([]byte, 4096)
		for {
			_, from, err := server.ReadFrom(buf)
			if err != nil {
				return // closed by the test
			}
			_, _ = server.WriteTo([]byte(junk), from)
		}
	}()
	logs := &signalWriter{want: `"lib":"sipgo"`, seen: make(chan struct{})}
	seen := logs.seen
	p, _ := startPhone(t, sip.Config{Server: server.LocalAddr().String(), Domain: "127.0.0.1", Username: "1001",
		Password: "secret1", LocalIP: "127.0.0.1"}, sip.WithLogger(zerolog.New(logs).Level(zerolog.DebugLevel)))
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-seen:
	case <-time.After(sip.HangGuard):
		t.Fatalf("hang guard (%v): nothing of sipgo's in the phone's log:\n%s", sip.HangGuard, logs)
	}
	text := logs.String()
	var line string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, `"lib":"sipgo"`) {
			line = l
			break
		}
	}
	if !strings.Contains(line, `"level":"debug"`) || !strings.Contains(line, "failed to parse") ||
		!strings.Contains(line, "two hundred OK") {
		t.Errorf("sipgo's line %s, want the unparsable datagram at debug level", line)
	}
	for _, secret := range []string{response, key, "secret1"} {
		if strings.Contains(text, secret) {
			t.Errorf("the phone's log holds %q:\n%s", secret, text)
		}
	}
}
