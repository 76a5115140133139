//go:build !windows

package ipc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/openbpclient/bpclient/helper/paths"
)

func defaultAddr() (string, error) { return paths.AgentSocket() }

// privateDir makes dir (mode 0700) or checks that an existing one belongs
// to us and admits nobody else, so no other user can plant a socket.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	fi, err := ownedByUs(dir, "not listening")
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return notOurs("%s is not a folder; not listening", dir)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("make %s private: %w", dir, err)
		}
	}
	return nil
}

// ownedByUs looks at path itself (a link is not followed) and fails with
// ErrNotOurs unless this user owns it; refusal ends the message.
func ownedByUs(path, refusal string) (os.FileInfo, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return nil, notOurs("%s is a symbolic link, which the agent never makes; %s", path, refusal)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, notOurs("%s: no owner known; %s", path, refusal)
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return nil, notOurs("%s belongs to uid %d, not to you (uid %d): another user may be posing as the agent; %s",
			path, st.Uid, uid, refusal)
	}
	return fi, nil
}

// checkEndpoint is what a client verifies before it dials: the socket's
// folder is ours and private, and the socket is ours.
func checkEndpoint(addr string) error {
	const refusal = "not connecting"
	dir := filepath.Dir(addr)
	fi, err := ownedByUs(dir, refusal)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return notOurs("%s is not a folder; %s", dir, refusal)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return notOurs("%s is open to other users (mode %v, the agent makes it 0700); %s", dir, perm, refusal)
	}
	fi, err = ownedByUs(addr, refusal)
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return notOurs("%s is not a socket; %s", addr, refusal)
	}
	return nil
}

func listen(addr string) (net.Listener, error) {
	dir := filepath.Dir(addr)
	if err := privateDir(dir); err != nil {
		return nil, fmt.Errorf("agent socket dir: %w", err)
	}
	// The lock, not the socket, decides who owns the endpoint: a socket
	// file can be stale after a crash, a lock cannot.
	lockPath := addr + ".lock"
	lock, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("agent lock: %w", err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrAgentRunning
		}
		return nil, fmt.Errorf("agent lock %s: %w", lockPath, err)
	}
	if err := os.Remove(addr); err != nil && !errors.Is(err, os.ErrNotExist) {
		lock.Close()
		return nil, fmt.Errorf("remove stale socket: %w", err)
	}
	// The umask makes the socket 0600 from the start; the chmod below is
	// for umasks that the process may not control.
	old := unix.Umask(0o177)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: addr, Net: "unix"})
	unix.Umask(old)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	ln.SetUnlinkOnClose(true)
	if err := os.Chmod(addr, 0o600); err != nil {
		ln.Close()
		lock.Close()
		return nil, fmt.Errorf("chmod %s: %w", addr, err)
	}
	return &unixListener{UnixListener: ln, lock: lock, uid: os.Getuid()}, nil
}

// unixListener admits only connections from processes of the same uid.
type unixListener struct {
	*net.UnixListener
	lock      *os.File
	uid       int
	closeOnce sync.Once
	closeErr  error
}

func (l *unixListener) Accept() (net.Conn, error) {
	for {
		c, err := l.UnixListener.AcceptUnix()
		if err != nil {
			return nil, err
		}
		uid, err := peerUID(c)
		if err != nil || uid != l.uid {
			// Another user (or an unknown one) is simply hung up on;
			// the socket's mode should already have stopped them.
			c.Close()
			continue
		}
		return c, nil
	}
}

func (l *unixListener) Close() error {
	l.closeOnce.Do(func() {
		l.closeErr = l.UnixListener.Close()
		l.lock.Close()
	})
	return l.closeErr
}

func dial(ctx context.Context, addr string) (net.Conn, error) {
	if err := checkEndpoint(addr); err != nil {
		return nil, fmt.Errorf("dial agent: %w", err)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", addr)
	if err != nil {
		return nil, fmt.Errorf("dial agent: %w", err)
	}
	// The folder may have changed hands since it was checked; the kernel's
	// word on who accepted is what counts, asked before the first write.
	uid, err := peerUID(c.(*net.UnixConn))
	if err := checkServer(addr, "uid "+strconv.Itoa(uid), err, "uid "+strconv.Itoa(os.Getuid())); err != nil {
		c.Close()
		return nil, fmt.Errorf("dial agent: %w", err)
	}
	return c, nil
}

// peerUID asks the kernel which user is at the other end of c.
func peerUID(c *net.UnixConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	var uid uint32
	var serr error
	if err := raw.Control(func(fd uintptr) { uid, serr = sockoptUID(int(fd)) }); err != nil {
		return -1, err
	}
	if serr != nil {
		return -1, serr
	}
	return int(uid), nil
}
