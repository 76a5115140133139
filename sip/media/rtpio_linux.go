//go:build linux && (amd64 || arm64)

package media

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

// rawSender sends with sendto(2) through RawConn.Write: the descriptor
// stays in the runtime's poller (deadlines, Close), and the call itself
// is RawSyscall, which does not wake the monitor thread.
type rawSender struct {
	rc    syscall.RawConn
	v6    bool // the socket is AF_INET6
	sa4   syscall.RawSockaddrInet4
	sa6   syscall.RawSockaddrInet6
	buf   []byte
	errno syscall.Errno
	write func(fd uintptr) bool // made once: a closure per packet would be garbage
}

func newRTPSender(c *net.UDPConn) rtpSender {
	rc, err := c.SyscallConn()
	if err != nil {
		return portableSender{c}
	}
	s := &rawSender{rc: rc, v6: socketIs6(rc)}
	s.write = func(fd uintptr) bool {
		sa, salen := unsafe.Pointer(&s.sa4), unsafe.Sizeof(s.sa4)
		if s.v6 {
			sa, salen = unsafe.Pointer(&s.sa6), unsafe.Sizeof(s.sa6)
		}
		for {
			_, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(unsafe.SliceData(s.buf))), uintptr(len(s.buf)), 0, uintptr(sa), salen)
			if e == syscall.EINTR {
				continue
			}
			if e == syscall.EAGAIN {
				return false // the poller waits until the socket takes more
			}
			s.errno = e
			return true
		}
	}
	return s
}

func (s *rawSender) writeTo(b []byte, to netip.AddrPort) error {
	addr := to.Addr()
	if s.v6 {
		s.sa6 = syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Addr: addr.As16()}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&s.sa6.Port))[:], to.Port())
	} else {
		addr = addr.Unmap()
		if !addr.Is4() {
			return &net.AddrError{Err: "non-IPv4 address", Addr: addr.String()}
		}
		s.sa4 = syscall.RawSockaddrInet4{Family: syscall.AF_INET, Addr: addr.As4()}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&s.sa4.Port))[:], to.Port())
	}
	s.buf, s.errno = b, 0
	err := s.rc.Write(s.write)
	s.buf = nil
	if err != nil {
		return err
	}
	if s.errno != 0 {
		return s.errno
	}
	return nil
}

// rawReceiver receives with recvfrom(2) through RawConn.Read, as
// rawSender sends.
type rawReceiver struct {
	rc    syscall.RawConn
	rsa   syscall.RawSockaddrAny
	salen uint32
	buf   []byte
	n     int
	errno syscall.Errno
	read  func(fd uintptr) bool
}

func newRTPReceiver(c *net.UDPConn) rtpReceiver {
	rc, err := c.SyscallConn()
	if err != nil {
		return portableReceiver{c}
	}
	r := &rawReceiver{rc: rc}
	r.read = func(fd uintptr) bool {
		for {
			r.salen = uint32(unsafe.Sizeof(r.rsa))
			n, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(unsafe.SliceData(r.buf))), uintptr(len(r.buf)), 0,
				uintptr(unsafe.Pointer(&r.rsa)), uintptr(unsafe.Pointer(&r.salen)))
			if e == syscall.EINTR {
				continue
			}
			if e == syscall.EAGAIN {
				return false // nothing yet: the poller parks the goroutine
			}
			r.n, r.errno = int(n), e
			return true
		}
	}
	return r
}

func (r *rawReceiver) readFrom(b []byte) (int, netip.AddrPort, error) {
	r.buf, r.n, r.errno = b, 0, 0
	err := r.rc.Read(r.read)
	r.buf = nil
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	if r.errno != 0 {
		return 0, netip.AddrPort{}, r.errno
	}
	var from netip.AddrPort
	switch r.rsa.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&r.rsa))
		from = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:]))
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&r.rsa))
		from = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:]))
	}
	return r.n, from, nil
}

// socketIs6 reports whether the socket is AF_INET6 (Go opens a wildcard
// address dual-stack), which decides the form of the addresses.
func socketIs6(rc syscall.RawConn) bool {
	v6 := false
	_ = rc.Control(func(fd uintptr) {
		if sa, err := syscall.Getsockname(int(fd)); err == nil {
			_, v6 = sa.(*syscall.SockaddrInet6)
		}
	})
	return v6
}
