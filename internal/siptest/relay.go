package siptest

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// RTPRelay sits on the RTP path between the phone under test and baresip
// and keeps a copy of every packet it hands to baresip, as a sniffer on
// baresip's port would. Kamailio, started with KamailioOptions.RTPRelay,
// rewrites each SDP's m=audio port: the phone's (the SDP whose o= line
// names bpclient) to the relay's baresip side, everyone else's to its
// phone side. The relay forwards what arrives on one side from the other
// side's socket, so each end sees its peer's advertised address as the
// source (symmetric RTP latches stay put). RTCP is not relayed: the
// phone's a=rtcp line keeps its own port.
//
// StartNATRelay makes the relay a NAT in front of baresip instead: what
// baresip sends reaches the phone from another port of the same IP than
// the one its SDP names (natSide), and what the phone sends to either
// port reaches baresip.
type RTPRelay struct {
	phoneSide   *net.UDPConn // baresip's address as the phone knows it
	baresipSide *net.UDPConn // the phone's address as baresip knows it
	natSide     *net.UDPConn // StartNATRelay: where baresip's packets come from; else phoneSide

	mu      sync.Mutex
	phone   *net.UDPAddr // learnt from the first packet of each
	baresip *net.UDPAddr
	sent    []RelayedPacket // what went to baresip
	wg      sync.WaitGroup
	shape   *relayShaper // StartImpairedRelay: loss and jitter, and a log of both ways
}

// RelayedPacket is one datagram the relay passed on, and when.
type RelayedPacket struct {
	At   time.Time
	Data []byte
	// ViaNAT: the phone sent it to the NAT's port (StartNATRelay), the
	// one baresip's packets came from, not to the signalled one.
	ViaNAT bool
}

// StartRTPRelay opens the relay's two loopback sockets; it stops when
// the test ends.
func StartRTPRelay(t testing.TB) *RTPRelay {
	t.Helper()
	return startRelay(t, false, nil)
}

// StartNATRelay opens a relay that is a NAT in front of baresip (see
// RTPRelay); it stops when the test ends.
func StartNATRelay(t testing.TB) *RTPRelay {
	t.Helper()
	return startRelay(t, true, nil)
}

func startRelay(t testing.TB, nat bool, shape *relayShaper) *RTPRelay {
	t.Helper()
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatalf("rtp relay: %v", err)
		}
		return c
	}
	r := &RTPRelay{phoneSide: listen(), baresipSide: listen(), shape: shape}
	r.natSide = r.phoneSide
	if nat {
		r.natSide = listen()
		r.wg.Add(1)
		go r.pump(r.natSide, r.baresipSide, true)
	}
	r.wg.Add(2)
	go r.pump(r.phoneSide, r.baresipSide, true)
	go r.pump(r.baresipSide, r.natSide, false)
	t.Cleanup(func() {
		r.phoneSide.Close()
		r.baresipSide.Close()
		r.natSide.Close()
		r.wg.Wait()
	})
	return r
}

// PhoneSidePort is where the phone sends baresip's RTP.
func (r *RTPRelay) PhoneSidePort() int { return r.phoneSide.LocalAddr().(*net.UDPAddr).Port }

// BaresipSidePort is where baresip sends the phone's RTP.
func (r *RTPRelay) BaresipSidePort() int { return r.baresipSide.LocalAddr().(*net.UDPAddr).Port }

// ToBaresip returns the packets handed to baresip so far.
func (r *RTPRelay) ToBaresip() []RelayedPacket {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RelayedPacket(nil), r.sent...)
}

// pump forwards datagrams read on in to the other end, written from out.
func (r *RTPRelay) pump(in, out *net.UDPConn, fromPhone bool) {
	defer r.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, from, err := in.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		r.mu.Lock()
		var to *net.UDPAddr
		if fromPhone {
			r.phone, to = from, r.baresip
		} else {
			r.baresip, to = from, r.phone
		}
		r.mu.Unlock()
		if to == nil {
			continue // the other end has not sent yet: its address is unknown
		}
		if r.shape != nil {
			r.shape.pass(out, buf[:n], to, fromPhone, &r.wg)
			continue
		}
		if _, err := out.WriteToUDP(buf[:n], to); err != nil || !fromPhone {
			continue
		}
		r.mu.Lock()
		r.sent = append(r.sent, RelayedPacket{At: time.Now(), Data: append([]byte(nil), buf[:n]...), ViaNAT: in != r.phoneSide})
		r.mu.Unlock()
	}
}
