package media

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/pion/rtcp"

	"github.com/openbpclient/bpclient/sip/srtpmedia"
)

func rtpWire(ssrc uint32, seq uint16) []byte {
	b := make([]byte, 12+160)
	b[0] = 0x80
	binary.BigEndian.PutUint16(b[2:4], seq)
	binary.BigEndian.PutUint32(b[8:12], ssrc)
	return b
}

var errAuth = fmt.Errorf("unprotect: %w", srtpmedia.ErrAuth)

// TestBeforeKeysRTP: failures before the first authenticated packet of
// the same SSRC, numbered before it, were sent before the peer's keys;
// another SSRC's, or ones numbered after it or far before, are failures.
func TestBeforeKeysRTP(t *testing.T) {
	for _, tc := range []struct {
		name       string
		failed     []*[2]uint32 // ssrc, seq
		authed     [2]uint32
		early, bad int
	}{
		{"plain then srtp", []*[2]uint32{{7, 100}, {7, 101}, {7, 102}}, [2]uint32{7, 103}, 3, 0},
		{"across the wrap", []*[2]uint32{{7, 65535}}, [2]uint32{7, 0}, 1, 0},
		{"another ssrc", []*[2]uint32{{8, 100}, {7, 101}}, [2]uint32{7, 102}, 1, 1},
		{"numbered after", []*[2]uint32{{7, 110}}, [2]uint32{7, 103}, 0, 1},
		{"far before", []*[2]uint32{{7, 1}}, [2]uint32{7, 1000}, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b beforeKeys
			for _, f := range tc.failed {
				if out := b.failedRTP(rtpWire(f[0], uint16(f[1])), errAuth); len(out) != 0 {
					t.Fatalf("reported %v before the stream authenticated", out)
				}
			}
			bad := b.authedRTP(rtpWire(tc.authed[0], uint16(tc.authed[1])))
			if int(b.total()) != tc.early || len(bad) != tc.bad || int(b.auth) != tc.early {
				t.Errorf("early %d (auth %d), reported %d; want %d and %d", b.total(), b.auth, len(bad), tc.early, tc.bad)
			}
			// Settled: every later failure is reported.
			if out := b.failedRTP(rtpWire(7, 2000), errAuth); len(out) != 1 {
				t.Errorf("a failure after the first good packet: reported %v", out)
			}
		})
	}
}

// TestBeforeKeysGivesUp: a stream that never authenticates reports what
// it held, then every failure.
func TestBeforeKeysGivesUp(t *testing.T) {
	var b beforeKeys
	reported := 0
	for i := 0; i < maxHeldDrops+10; i++ {
		reported += len(b.failedRTP(rtpWire(7, uint16(i)), errAuth))
	}
	if reported != maxHeldDrops+10 || b.total() != 0 {
		t.Errorf("reported %d of %d, early %d", reported, maxHeldDrops+10, b.total())
	}
	if out := b.authedRTP(rtpWire(7, 100)); len(out) != 0 || b.total() != 0 {
		t.Errorf("after giving up: %v, early %d", out, b.total())
	}
	// Junk that is not RTP at all is reported at once.
	var c beforeKeys
	if out := c.failedRTP([]byte{1, 2, 3}, errAuth); len(out) != 1 {
		t.Errorf("junk: %v", out)
	}
}

// TestBeforeKeysRTCP: a plain RTCP packet from the SSRC whose SRTCP then
// authenticates was sent before the keys; one that does not parse as
// RTCP (a forged or mis-keyed SRTCP packet) is a failure.
func TestBeforeKeysRTCP(t *testing.T) {
	plain, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 7}})
	if err != nil {
		t.Fatal(err)
	}
	garbled := append(append([]byte(nil), plain...), 0x80, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9)
	var b beforeKeys
	malformed := fmt.Errorf("unprotect: %w", srtpmedia.ErrMalformed)
	if out := b.failedRTCP(plain, malformed); len(out) != 0 {
		t.Fatal(out)
	}
	if out := b.failedRTCP(garbled, errAuth); len(out) != 0 {
		t.Fatal(out)
	}
	other, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 8}})
	if out := b.failedRTCP(other, errAuth); len(out) != 0 {
		t.Fatal(out)
	}
	bad := b.authedRTCP(garbled) // an authenticated SRTCP packet of SSRC 7
	if b.total() != 1 || b.malformed != 1 || len(bad) != 2 {
		t.Errorf("early %d (malformed %d), reported %d; want 1, 1, 2", b.total(), b.malformed, len(bad))
	}
}
