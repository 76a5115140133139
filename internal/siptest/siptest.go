// Package siptest starts real SIP peers on loopback for tests: Kamailio as
// registrar and proxy (digest auth from db_text), and baresip as the remote
// phone. Every peer gets private paths under the test's temporary
// directory and free ports on 127.0.0.1, and is killed on cleanup.
package siptest

import (
	_ "embed"
	"fmt"
	"net"
	"testing"
)

// FreePort returns a port that is free on 127.0.0.1 for both UDP and TCP
// at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		ln.Close()
		if err != nil {
			continue
		}
		pc.Close()
		return port
	}
	t.Fatal("no free port on 127.0.0.1")
	return 0
}

// FreePortRange returns an even port p such that p..p+span-1 are free
// UDP ports on 127.0.0.1 (RTP port ranges).
func FreePortRange(t testing.TB, span int) int {
	t.Helper()
	for i := 0; i < 200; i++ {
		base := 20000 + 2*(int(randUint()%15000))
		ok := true
		var held []net.PacketConn
		for p := base; p < base+span; p++ {
			pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				break
			}
			held = append(held, pc)
		}
		for _, pc := range held {
			pc.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}
