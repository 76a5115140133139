package dtlssrtp

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// BenchmarkHandshake is one DTLS-SRTP association from the first flight
// to exported keys, both sides in this process over loopback UDP (each
// with its own socket and reader, as in a call): ECDHE on X25519, ECDSA
// P-256 certificates checked against their fingerprints, use_srtp with
// AES_CM_128_HMAC_SHA1_80. It is the time a DTLS call's media waits for
// once the SDP exchange is done, less the network's round trips.
func BenchmarkHandshake(b *testing.B) {
	ca, err := NewCertificate()
	if err != nil {
		b.Fatal(err)
	}
	cb, err := NewCertificate()
	if err != nil {
		b.Fatal(err)
	}
	prof := Profiles([]string{"AES_CM_128_HMAC_SHA1_80"})
	b.ReportAllocs()
	for b.Loop() {
		pa, pb := listen(b), listen(b)
		sa, err := New(pa, pb.LocalAddr(), Options{Cert: ca, Client: true, Remote: []Fingerprint{cb.Fingerprint()}, Profiles: prof})
		if err != nil {
			b.Fatal(err)
		}
		sb, err := New(pb, pa.LocalAddr(), Options{Cert: cb, Remote: []Fingerprint{ca.Fingerprint()}, Profiles: prof})
		if err != nil {
			b.Fatal(err)
		}
		var readers sync.WaitGroup
		for _, x := range []struct {
			c *net.UDPConn
			s *Session
		}{{pa, sa}, {pb, sb}} {
			readers.Add(1)
			go func() {
				defer readers.Done()
				buf := make([]byte, 1500)
				for {
					n, _, err := x.c.ReadFromUDP(buf)
					if err != nil {
						return
					}
					x.s.Deliver(buf[:n])
				}
			}()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var wg sync.WaitGroup
		var ea, eb error
		wg.Add(2)
		go func() { defer wg.Done(); _, ea = sa.Handshake(ctx) }()
		go func() { defer wg.Done(); _, eb = sb.Handshake(ctx) }()
		wg.Wait()
		cancel()
		if ea != nil || eb != nil {
			b.Fatalf("handshake: %v / %v", ea, eb)
		}
		b.StopTimer()
		sa.Close()
		sb.Close()
		pa.Close()
		pb.Close()
		readers.Wait()
		b.StartTimer()
	}
}

// BenchmarkNewCertificate is the per-configuration cost of our DTLS
// identity (an ECDSA P-256 key and a self-signed certificate).
func BenchmarkNewCertificate(b *testing.B) {
	for b.Loop() {
		if _, err := NewCertificate(); err != nil {
			b.Fatal(err)
		}
	}
}

func listen(b *testing.B) *net.UDPConn {
	b.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	return c
}
