package srtpmedia

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/sip/sdes"
)

// pair makes the two ends of a call for suite: a's local key is b's
// remote key and the other way round, fresh from sdes.
func pair(t testing.TB, suite string) (a, b *Transformer) {
	t.Helper()
	ka, err := sdes.New(1, suite, nil)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := sdes.New(1, suite, nil)
	a, err = New(keys(ka), keys(kb))
	if err != nil {
		t.Fatal(err)
	}
	b, err = New(keys(kb), keys(ka))
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func keys(c sdes.Crypto) Keys {
	k, s := c.Key()
	p, _ := c.Profile()
	return Keys{Profile: p, MasterKey: k, MasterSalt: s, MKI: c.MKI()}
}

func rtpPacket(t testing.TB, seq uint16, payload []byte) []byte {
	t.Helper()
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 0x1234}, Payload: payload}
	b, err := pkt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func suites() []string {
	return []string{sdes.AESCM128HMACSHA180, sdes.AESCM128HMACSHA132, sdes.AEADAES128GCM, sdes.AEADAES256GCM}
}

func TestRoundTripEverySuite(t *testing.T) {
	for _, suite := range suites() {
		t.Run(suite, func(t *testing.T) {
			a, b := pair(t, suite)
			payload := bytes.Repeat([]byte{0xd5}, 160)
			for seq := uint16(65530); seq != 10; seq++ { // across the wrap
				plain := rtpPacket(t, seq, payload)
				wire, err := a.ProtectRTP(nil, plain)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(wire, payload[:16]) {
					t.Fatal("payload in clear on the wire")
				}
				got, err := b.UnprotectRTP(nil, wire)
				if err != nil {
					t.Fatalf("seq %d: %v", seq, err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("seq %d: decrypted differs", seq)
				}
			}
			sr, _ := (&rtcp.SenderReport{SSRC: 0x1234, PacketCount: 5}).Marshal()
			for i := 0; i < 3; i++ {
				wire, err := b.ProtectRTCP(nil, sr)
				if err != nil {
					t.Fatal(err)
				}
				got, err := a.UnprotectRTCP(nil, wire)
				if err != nil || !bytes.Equal(got, sr) {
					t.Fatalf("rtcp: %v", err)
				}
			}
			st := b.Stats()
			if st.RTPReceived != 16 || st.RTCPSent != 3 || st.Dropped() != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestFlippedBitsReplayAndJunkAreDropped(t *testing.T) {
	for _, suite := range suites() {
		t.Run(suite, func(t *testing.T) {
			a, b := pair(t, suite)
			payload := bytes.Repeat([]byte{1, 2, 3, 4}, 40)
			var last []byte
			for seq := uint16(1); seq <= 50; seq++ {
				wire, err := a.ProtectRTP(nil, rtpPacket(t, seq, payload))
				if err != nil {
					t.Fatal(err)
				}
				if seq%10 == 0 {
					// One bit flipped in the payload, in the tag, in the header (timestamp).
					for _, pos := range []int{20, len(wire) - 1, 5} {
						bad := append([]byte(nil), wire...)
						bad[pos] ^= 0x04
						if _, err := b.UnprotectRTP(nil, bad); !errors.Is(err, ErrAuth) {
							t.Fatalf("flipped byte %d: %v", pos, err)
						}
					}
				}
				if _, err := b.UnprotectRTP(nil, wire); err != nil {
					t.Fatalf("seq %d after a bad packet: %v", seq, err)
				}
				last = wire
			}
			if _, err := b.UnprotectRTP(nil, last); !errors.Is(err, ErrReplay) {
				t.Fatalf("replay: %v", err)
			}
			if _, err := b.UnprotectRTP(nil, []byte{0x80, 0, 0}); !errors.Is(err, ErrMalformed) {
				t.Fatalf("junk: %v", err)
			}
			// SRTCP: a replay and a flipped bit.
			sr, _ := (&rtcp.ReceiverReport{SSRC: 9}).Marshal()
			w, _ := a.ProtectRTCP(nil, sr)
			if _, err := b.UnprotectRTCP(nil, w); err != nil {
				t.Fatal(err)
			}
			if _, err := b.UnprotectRTCP(nil, w); !errors.Is(err, ErrReplay) {
				t.Fatalf("rtcp replay: %v", err)
			}
			w, _ = a.ProtectRTCP(nil, sr)
			w[9] ^= 1
			if _, err := b.UnprotectRTCP(nil, w); !errors.Is(err, ErrAuth) {
				t.Fatalf("rtcp flipped: %v", err)
			}
			st := b.Stats()
			if st.RTPReceived != 50 || st.AuthFailures != 16 || st.Replays != 2 || st.Malformed != 1 || st.RTCPReceived != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestWrongKeyFailsAuth(t *testing.T) {
	a, _ := pair(t, sdes.AESCM128HMACSHA180)
	_, c := pair(t, sdes.AESCM128HMACSHA180)
	wire, _ := a.ProtectRTP(nil, rtpPacket(t, 1, make([]byte, 160)))
	if _, err := c.UnprotectRTP(nil, wire); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestBadKeys(t *testing.T) {
	k := keys(must(sdes.New(1, sdes.AEADAES256GCM, nil)))
	short := k
	short.MasterKey = short.MasterKey[:16]
	if _, err := New(short, k); err == nil {
		t.Fatal("short key accepted")
	}
}

func must(c sdes.Crypto, err error) sdes.Crypto {
	if err != nil {
		panic(err)
	}
	return c
}

// TestConnOverUDP: two conns on loopback carry plaintext in and out while
// the wire holds SRTP; a forged packet between them is skipped.
func TestConnOverUDP(t *testing.T) {
	ta, tb := pair(t, sdes.AEADAES128GCM)
	pa, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pb, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ca, cb := newConn(pa, ta), newConn(pb, tb)
	defer ca.Close()
	defer cb.Close()
	// A sniffer's view: what pb receives raw is not the plaintext.
	payload := bytes.Repeat([]byte("secret-voice"), 10)
	if _, err := ca.WriteTo(rtpPacket(t, 1, payload), cb.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	// A forged plaintext RTP packet from elsewhere.
	forger, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer forger.Close()
	_, _ = forger.WriteTo(rtpPacket(t, 2, payload), cb.LocalAddr())
	if _, err := ca.WriteTo(rtpPacket(t, 3, payload), cb.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	_ = cb.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 1500)
	var seqs []uint16
	for len(seqs) < 2 {
		n, _, err := cb.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(buf[:n]); err != nil || !bytes.Equal(p.Payload, payload) {
			t.Fatalf("read %d bytes: %v", n, err)
		}
		seqs = append(seqs, p.SequenceNumber)
	}
	if seqs[0] != 1 || seqs[1] != 3 {
		t.Fatalf("got %v", seqs)
	}
	if st := tb.Stats(); st.Dropped() != 1 || st.RTPReceived != 2 {
		t.Fatalf("stats %+v", st)
	}
}
