package sip

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func testPeers(t testing.TB, trusted ...string) *peerSet {
	t.Helper()
	p, err := New(Config{Server: "192.0.2.10:5070, 192.0.2.11", Username: "1001", OutboundProxy: "[2001:db8::5]:5062",
		TrustedPeers: trusted})
	if err != nil {
		t.Fatal(err)
	}
	servers, err := p.resolveServers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p.buildPeers(context.Background(), servers)
}

func udp(s string) net.Addr { return net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
func tcp(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }

// TestPeerSet: on UDP a server is its address and port, on TCP/TLS its
// address; trusted hosts without a port and prefixes admit any port.
func TestPeerSet(t *testing.T) {
	s := testPeers(t, "198.51.100.7", "203.0.113.9:5080", "10.1.0.0/24")
	for _, tc := range []struct {
		from net.Addr
		want bool
	}{
		{udp("192.0.2.10:5070"), true},
		{udp("192.0.2.10:5071"), false}, // another process on the server's host
		{udp("192.0.2.11:5060"), true},  // no port given: the transport's default
		{udp("[::ffff:192.0.2.11]:5060"), true},
		{tcp("192.0.2.10:40123"), true}, // a stream's source port is ephemeral
		{udp("[2001:db8::5]:5062"), true},
		{udp("[2001:db8::5]:5060"), false},
		{udp("198.51.100.7:1234"), true},
		{tcp("198.51.100.7:1234"), true},
		{udp("203.0.113.9:5080"), true},
		{udp("203.0.113.9:5081"), false},
		{udp("10.1.0.200:9"), true},
		{tcp("10.1.1.1:9"), false},
		{udp("127.0.0.2:5070"), false},
		{nil, false},
	} {
		stream := false
		if _, ok := tc.from.(*net.TCPAddr); ok {
			stream = true
		}
		if got := s.allows(stream, tc.from); got != tc.want {
			t.Errorf("%v (stream %v): allowed %v, want %v", tc.from, stream, got, tc.want)
		}
	}
}

func TestTrustedPeersConfig(t *testing.T) {
	for _, bad := range []string{"", "10.0.0.0/33", "host:0", "a b", "[::1", "1.2.3.4:99999"} {
		_, err := New(Config{Server: "192.0.2.10", Username: "1001", TrustedPeers: []string{bad}})
		if err == nil || !strings.Contains(err.Error(), "trustedPeers") {
			t.Errorf("trustedPeers %q: %v", bad, err)
		}
	}
	for _, n := range []int{-1, 101} {
		if _, err := New(Config{Server: "192.0.2.10", Username: "1001", MaxRingingCalls: n}); err == nil {
			t.Errorf("maxRingingCalls %d accepted", n)
		}
	}
	p, err := New(Config{Server: "192.0.2.10", Username: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Config(); c.MaxRingingCalls != 4 || c.RingTimeout != 120*time.Second {
		t.Errorf("defaults: %d ringing, %v ring timeout", c.MaxRingingCalls, c.RingTimeout)
	}
}

// FuzzTrustedPeer: an entry is accepted or refused with an error, never
// a panic; an accepted literal admits what it names and, with a port, on
// UDP only that port.
func FuzzTrustedPeer(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "192.0.2.1", "192.0.2.1:5060", "[2001:db8::1]:5061", "2001:db8::/32", "pbx", "::1", "a/b", ":5060", "[]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		if err := parseTrustedPeer(entry); err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if pre, err := netip.ParsePrefix(entry); err == nil {
			s := &peerSet{nets: []netip.Prefix{pre.Masked()}}
			if !s.allows(false, net.UDPAddrFromAddrPort(netip.AddrPortFrom(pre.Masked().Addr(), 1))) {
				t.Fatalf("%q does not admit its own network", entry)
			}
			return
		}
		host, port, err := splitHostPort(entry)
		if err != nil {
			t.Fatalf("accepted %q that splitHostPort refuses: %v", entry, err)
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return // a name: resolved when the phone starts
		}
		p := &Phone{cfg: Config{TrustedPeers: []string{entry}}}
		s := p.buildPeers(context.Background(), nil)
		ip = ip.Unmap()
		if port == 0 {
			port = 5060
		}
		if !s.allows(false, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port)))) {
			t.Fatalf("%q does not admit %v:%d", entry, ip, port)
		}
		if _, _, hasPort := strings.Cut(strings.TrimPrefix(entry, "["), "]:"); hasPort || (!strings.HasPrefix(entry, "[") && strings.Count(entry, ":") == 1) {
			other := uint16(port%65535 + 1)
			if s.allows(false, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, other))) {
				t.Fatalf("%q admits port %d on UDP", entry, other)
			}
		}
	})
}

// TestDropCounterRateLimit: every drop counts; the log gets one line per
// interval, carrying what was dropped since the last.
func TestDropCounterRateLimit(t *testing.T) {
	now := time.Unix(1000, 0)
	var lines []uint64
	d := &dropCounter{now: func() time.Time { return now }, interval: 10 * time.Second,
		log: func(from string, n uint64) {
			if from != "127.0.0.2:5060" {
				t.Errorf("logged from %q", from)
			}
			lines = append(lines, n)
		}}
	from := udp("127.0.0.2:5060")
	for range 300 {
		d.note(from)
	}
	now = now.Add(11 * time.Second)
	d.note(from)
	if d.count() != 301 {
		t.Errorf("counted %d, want 301", d.count())
	}
	if len(lines) != 2 || lines[0] != 1 || lines[1] != 300 {
		t.Errorf("log lines %v, want [1 300]", lines)
	}
}
