package media

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestRTPIO sends and receives through the media loops' sender and
// receiver on IPv4, IPv6 and a dual-stack socket, and checks that a
// packet each way allocates nothing.
func TestRTPIO(t *testing.T) {
	for _, tc := range []struct{ name, bind, to string }{
		{"ipv4", "127.0.0.1", "127.0.0.1"},
		{"ipv6", "::1", "::1"},
		{"dual-stack to ipv4", "0.0.0.0", "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(tc.bind)})
			if err != nil {
				t.Skip(err)
			}
			defer a.Close()
			b, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(tc.to)})
			if err != nil {
				t.Skip(err)
			}
			defer b.Close()
			tx, rx := newRTPSender(a), newRTPReceiver(b)
			to := netip.AddrPortFrom(netip.MustParseAddr(tc.to), uint16(b.LocalAddr().(*net.UDPAddr).Port))
			b.SetReadDeadline(time.Now().Add(HangGuard))
			msg := []byte("rtp packet")
			buf := make([]byte, 100)
			var n int
			var from netip.AddrPort
			allocs := testing.AllocsPerRun(20, func() {
				if err := tx.writeTo(msg, to); err != nil {
					t.Fatal(err)
				}
				if n, from, err = rx.readFrom(buf); err != nil {
					t.Fatal(err)
				}
			})
			if !bytes.Equal(buf[:n], msg) {
				t.Fatalf("got %q", buf[:n])
			}
			if from.Port() != uint16(a.LocalAddr().(*net.UDPAddr).Port) || from.Addr().Unmap() != netip.MustParseAddr(tc.to).Unmap() {
				t.Errorf("from %v, sender %v", from, a.LocalAddr())
			}
			if allocs != 0 {
				t.Errorf("%v allocations per packet, want 0", allocs)
			}
			// A closed socket ends a waiting read.
			done := make(chan error, 1)
			go func() { _, _, err := rx.readFrom(buf); done <- err }()
			b.Close()
			select {
			case err := <-done:
				if err == nil {
					t.Error("read on a closed socket succeeded")
				}
			case <-time.After(HangGuard):
				t.Fatalf("hang guard (%v): close did not end the read", HangGuard)
			}
		})
	}
}

// TestFrameClock: the clock wakes about once a period and close ends a
// wait in progress.
func TestFrameClock(t *testing.T) {
	c := newFrameClock(5 * time.Millisecond)
	for i := 0; i < 5; i++ {
		if err := c.wait(); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		for {
			if err := c.wait(); err != nil {
				done <- err
				return
			}
		}
	}()
	c.close()
	select {
	case <-done:
	case <-time.After(HangGuard):
		t.Fatalf("hang guard (%v): close did not end the wait", HangGuard)
	}
	c.close()
}
