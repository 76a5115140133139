package dtlssrtp

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/sip/internal/liblog"
)

// lockedBuffer is a log two sessions write at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestPionLogsReachOptionsLog: what pion logs during a handshake (here
// about a broken record the peer sent first) goes to Options.Log, and no
// key of the association is in it.
func TestPionLogsReachOptionsLog(t *testing.T) {
	var logs lockedBuffer
	log := liblog.Pion(zerolog.New(&logs).Level(zerolog.DebugLevel))
	profiles := Profiles([]string{"AES_CM_128_HMAC_SHA1_80"})
	a, b := newPeer(t), newPeer(t)
	a.start(t, b, Options{Client: true, Remote: []Fingerprint{b.cert.Fingerprint()}, Profiles: profiles, Log: log})
	b.start(t, a, Options{Remote: []Fingerprint{a.cert.Fingerprint()}, Profiles: profiles, Log: log})
	// A handshake record too short for its header, queued before the
	// peer's real ones: pion reads it first, within the handshake.
	a.s.Deliver([]byte{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3})
	ra, rb, ea, eb := handshakeBoth(a, b)
	if ea != nil || eb != nil {
		t.Fatalf("handshake: client %v, server %v", ea, eb)
	}
	text := logs.String()
	if !strings.Contains(text, `{"level":"debug","lib":"pion","scope":"dtls","message":"defragment failed`) {
		t.Errorf("pion's line about the broken record is not in Options.Log:\n%s", text)
	}
	for _, k := range [][]byte{ra.Local.MasterKey, ra.Local.MasterSalt, rb.Local.MasterKey, rb.Local.MasterSalt} {
		if strings.Contains(text, hex.EncodeToString(k)) || strings.Contains(text, base64.StdEncoding.EncodeToString(k)) {
			t.Errorf("a key of the association is in the log:\n%s", text)
		}
	}
}
