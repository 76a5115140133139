package audio

import (
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/jfreymuth/pulse/proto"
)

// socketPair is a connected pair of SOCK_SEQPACKET sockets: every write
// arrives as one packet, so the test sees how many writes were made.
func socketPair(t *testing.T) (ours, server net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) net.Conn {
		f := os.NewFile(uintptr(fd), "pair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	return conn(fds[0]), conn(fds[1])
}

// The library writes a frame's descriptor and its payload apart; the
// socket sends them as one write, and reads what the server sent.
func TestPulseSocketSendsAFrameInOneWrite(t *testing.T) {
	ours, server := socketPair(t)
	s, err := newPulseSocket(ours)
	if err != nil {
		t.Fatal(err)
	}
	// The library's reader waits on nothing here: the test reads the
	// socket itself below.
	stop := make(chan struct{})
	defer close(stop)
	c := &proto.Client{Callback: func(any) {}}
	c.Open(struct {
		io.Reader
		io.Writer
	}{blockedRW{stop}, s})
	payload := make([]byte, 340)
	for i := range payload {
		payload[i] = byte(i)
	}
	for range 3 {
		if err := c.Send(7, payload); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1024)
		n, err := server.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n != pulseDescriptorSize+len(payload) {
			t.Fatalf("the server's first read took %d bytes, want the whole frame in one write (%d)", n, pulseDescriptorSize+len(payload))
		}
		if buf[7] != 7 || buf[pulseDescriptorSize+5] != 5 {
			t.Fatalf("frame % x…", buf[:24])
		}
	}
	// Reading: what the server writes comes through whole.
	if _, err := server.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := s.Read(buf); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	server.Close()
	if n, err := s.Read(buf); err == nil {
		t.Fatalf("read %d bytes from a closed peer without an error", n)
	}
}
