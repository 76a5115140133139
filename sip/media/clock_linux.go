package media

import (
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// timerfdClock is a kernel timer (timerfd) in the runtime's network
// poller. A Go timer would do, but every pending Go timer makes the
// runtime's monitor thread wake when it expires, and the read of an
// ordinary system call wakes it too: a call's 50 frames a second then
// cost three or four thread wake-ups each. A timerfd read with
// RawSyscall costs the one wake-up of the goroutine that waits.
type timerfdClock struct {
	f     *os.File
	rc    syscall.RawConn
	buf   [8]byte // the expiration count; the loop counts frames itself
	errno syscall.Errno
	read  func(fd uintptr) bool // made once: no garbage per frame
	once  sync.Once
}

func newFrameClock(d time.Duration) frameClock {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return newTickerClock(d)
	}
	spec := unix.ItimerSpec{Interval: unix.NsecToTimespec(int64(d)), Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(fd, 0, &spec, nil); err != nil {
		unix.Close(fd)
		return newTickerClock(d)
	}
	// Non-blocking, so os.File puts it in the poller: a read that would
	// block parks the goroutine, and Close wakes it.
	f := os.NewFile(uintptr(fd), "frameclock")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return newTickerClock(d)
	}
	c := &timerfdClock{f: f, rc: rc}
	c.read = func(fd uintptr) bool {
		for {
			_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&c.buf[0])), uintptr(len(c.buf)))
			switch e {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false // not expired yet: wait in the poller
			}
			c.errno = e
			return true
		}
	}
	return c
}

func (c *timerfdClock) wait() error {
	c.errno = 0
	if err := c.rc.Read(c.read); err != nil {
		return err
	}
	if c.errno != 0 {
		return c.errno
	}
	return nil
}

func (c *timerfdClock) close() { c.once.Do(func() { c.f.Close() }) }
