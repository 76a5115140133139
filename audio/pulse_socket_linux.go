package audio

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"unsafe"
)

// pulseSocket reads and writes the sound server's socket with read(2)
// and writev(2) as RawSyscall through the connection's RawConn: the
// descriptor stays in the runtime's poller (a read that would block
// parks the goroutine, Close wakes it), but the calls do not go through
// entersyscall. Every ordinary system call made while the process is
// idle wakes the runtime's monitor thread (sysmon), which then polls
// every 20 µs for a millisecond or more; a call's device traffic is a
// packet and a request every 20 ms, so that was most of the agent's CPU
// on a call. The same reason as the media's raw RTP I/O (sip/media).
//
// It also sends a frame in one writev: proto.Client.Send writes the
// 20-byte descriptor and the payload in two writes, under its own
// lock; the descriptor is held until the payload comes.
type pulseSocket struct {
	conn net.Conn
	rc   syscall.RawConn

	// read state, for the connection's one reader (the library's loop)
	rbuf   []byte
	rn     int
	rerrno syscall.Errno
	readFn func(fd uintptr) bool // made once: no garbage per read

	wmu     sync.Mutex
	hdr     [pulseDescriptorSize]byte
	held    bool // hdr waits for its payload
	iov     [2]syscall.Iovec
	iovs    int
	werrno  syscall.Errno
	writeFn func(fd uintptr) bool
}

// errPulseSocketRaw: the connection has no RawConn; its own Read and
// Write serve then.
var errPulseSocketRaw = errors.New("pulse: the socket has no raw access")

func newPulseSocket(c net.Conn) (*pulseSocket, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, errPulseSocketRaw
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	s := &pulseSocket{conn: c, rc: rc}
	s.readFn = func(fd uintptr) bool {
		for {
			n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(s.rbuf))), uintptr(len(s.rbuf)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // nothing yet: wait in the poller
			}
			s.rn, s.rerrno = int(n), e
			return true
		}
	}
	s.writeFn = func(fd uintptr) bool {
		for s.iovs > 0 {
			n, _, e := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&s.iov[0])), uintptr(s.iovs))
			switch e {
			case 0:
				s.advance(int(n))
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // the socket is full: wait until it takes more
			default:
				s.werrno = e
				return true
			}
		}
		return true
	}
	return s, nil
}

// Read reads what the socket has, waiting for something.
func (s *pulseSocket) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.rbuf, s.rn, s.rerrno = p, 0, 0
	err := s.rc.Read(s.readFn)
	s.rbuf = nil
	switch {
	case err != nil:
		return 0, err
	case s.rerrno != 0:
		return 0, s.rerrno
	case s.rn == 0:
		return 0, io.EOF
	}
	return s.rn, nil
}

// Write writes p whole. A lone descriptor is held and goes out with the
// payload that follows it.
func (s *pulseSocket) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if !s.held && len(p) == pulseDescriptorSize {
		copy(s.hdr[:], p)
		s.held = true
		return len(p), nil
	}
	s.iovs = 0
	if s.held {
		s.held = false
		s.setIov(s.hdr[:])
	}
	if len(p) > 0 {
		s.setIov(p)
	}
	if s.iovs == 0 {
		return 0, nil
	}
	s.werrno = 0
	err := s.rc.Write(s.writeFn)
	s.iov = [2]syscall.Iovec{} // keep no reference to p
	if err == nil && s.werrno != 0 {
		err = s.werrno
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

func (s *pulseSocket) setIov(b []byte) {
	v := &s.iov[s.iovs]
	v.Base = unsafe.SliceData(b)
	v.SetLen(len(b))
	s.iovs++
}

// advance drops n written bytes from the front of the vectors.
func (s *pulseSocket) advance(n int) {
	for n > 0 && s.iovs > 0 {
		v := &s.iov[0]
		if l := int(v.Len); n < l {
			v.Base = (*byte)(unsafe.Add(unsafe.Pointer(v.Base), n))
			v.SetLen(l - n)
			return
		}
		n -= int(v.Len)
		s.iov[0], s.iov[1] = s.iov[1], syscall.Iovec{}
		s.iovs--
	}
}
