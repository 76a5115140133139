package ipc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The agent's pipe is our own small implementation on x/sys/windows rather
// than go-winio's. go-winio creates its first pipe instance without read or
// write access, relying on the Windows pipe file system to keep such an
// instance from accepting clients; wine does not do that, so a client's
// dial landed on that idle instance and Accept never returned. Here every
// instance is a listening one: the first is created with
// FILE_FLAG_FIRST_PIPE_INSTANCE and the owner-only ACL, ConnectNamedPipe
// waits on an event (overlapped I/O without a completion port, so Close
// can interrupt it), and a connected instance is handed to os.NewFile,
// which since Go 1.25 runs overlapped handles on the runtime's completion
// port with deadlines.

const pipeBufferSize = 64 << 10

func userSID() (string, error) {
	tok, err := windows.OpenCurrentProcessToken()
	if err != nil {
		return "", fmt.Errorf("open process token: %w", err)
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("token user: %w", err)
	}
	return u.User.Sid.String(), nil
}

func defaultAddr() (string, error) {
	sid, err := userSID()
	if err != nil {
		return "", fmt.Errorf("agent pipe name: %w", err)
	}
	return `\\.\pipe\bpclient-` + sid, nil
}

func listen(addr string) (net.Listener, error) {
	sid, err := userSID()
	if err != nil {
		return nil, err
	}
	// A named mutex in the session namespace decides who owns the
	// endpoint, as the flock does on Unix; the system releases it when
	// the owner dies. FILE_FLAG_FIRST_PIPE_INSTANCE below says the same,
	// but a stale instance of a dying owner could still hold the name.
	name, err := windows.UTF16PtrFromString(`Local\` + strings.NewReplacer(`\`, "_", ".", "_").Replace(addr))
	if err != nil {
		return nil, err
	}
	mutex, err := windows.CreateMutex(nil, false, name)
	if errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		windows.CloseHandle(mutex)
		return nil, ErrAgentRunning
	}
	if err != nil {
		return nil, fmt.Errorf("agent lock: %w", err)
	}
	// Protected DACL with a single entry: full access for this user only.
	sd, err := windows.SecurityDescriptorFromString("D:P(A;;GA;;;" + sid + ")")
	if err != nil {
		windows.CloseHandle(mutex)
		return nil, fmt.Errorf("pipe security descriptor: %w", err)
	}
	l := &pipeListener{addr: addr, sa: &windows.SecurityAttributes{SecurityDescriptor: sd}, mutex: mutex}
	l.sa.Length = uint32(unsafe.Sizeof(*l.sa))
	if l.closeEv, err = windows.CreateEvent(nil, 1, 0, nil); err != nil {
		windows.CloseHandle(mutex)
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if l.next, err = l.newInstance(true); err != nil {
		windows.CloseHandle(l.closeEv)
		windows.CloseHandle(mutex)
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_PIPE_BUSY) {
			// The name is taken. We hold this session's lock, so it is our
			// agent in another session or someone else who created the
			// name first (another user of a shared host): ask who.
			return nil, whoHolds(addr, sid)
		}
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return l, nil
}

// whoHolds tells apart, for a pipe name we could not create, our own
// agent (ErrAgentRunning) from another user holding it (ErrNotOurs).
func whoHolds(addr, self string) error {
	h, err := openPipe(addr)
	// Every instance may be busy for a moment (ours makes another as it
	// hands one out, and reuses one whose client left early): ask again
	// for a while before taking the name's holder for our own agent.
	for deadline := time.Now().Add(2 * time.Second); errors.Is(err, windows.ERROR_PIPE_BUSY) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		h, err = openPipe(addr)
	}
	switch {
	case errors.Is(err, windows.ERROR_PIPE_BUSY):
		return ErrAgentRunning // busy throughout: only ours would admit us
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return notOurs("%s is held by a process whose pipe does not admit you: another user may be posing as the agent; not listening", addr)
	case err != nil:
		return fmt.Errorf("listen %s: the name is taken and its server cannot be reached: %w", addr, err)
	}
	defer windows.CloseHandle(h)
	sid, err := pipeServerSID(h)
	if err != nil {
		return notOurs("%s is held by a process whose user cannot be learned (%v): another user may be posing as the agent; not listening", addr, err)
	}
	if sid != self {
		return notOurs("%s is held by %s, not by you (%s): another user may be posing as the agent; not listening", addr, sid, self)
	}
	return ErrAgentRunning
}

// pipeServerSID is the user of the process that serves the pipe at h.
func pipeServerSID(h windows.Handle) (string, error) {
	var pid uint32
	if err := windows.GetNamedPipeServerProcessId(h, &pid); err != nil {
		return "", fmt.Errorf("pipe server process: %w", err)
	}
	proc, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return "", fmt.Errorf("open pipe server process %d: %w", pid, err)
	}
	defer windows.CloseHandle(proc)
	var tok windows.Token
	// Another user's token does not admit us: that is a refusal too.
	if err := windows.OpenProcessToken(proc, windows.TOKEN_QUERY, &tok); err != nil {
		return "", fmt.Errorf("token of pipe server process %d: %w", pid, err)
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("user of pipe server process %d: %w", pid, err)
	}
	return u.User.Sid.String(), nil
}

// pipeListener keeps one pipe instance waiting for the next client.
type pipeListener struct {
	addr    string
	sa      *windows.SecurityAttributes
	mutex   windows.Handle // ownership of the endpoint
	closeEv windows.Handle // set by Close; wakes a waiting Accept

	mu     sync.Mutex // serializes Accept and Close
	next   windows.Handle
	closed bool

	closeOnce sync.Once
}

func (l *pipeListener) newInstance(first bool) (windows.Handle, error) {
	name, err := windows.UTF16PtrFromString(l.addr)
	if err != nil {
		return 0, err
	}
	mode := uint32(windows.PIPE_ACCESS_DUPLEX | windows.FILE_FLAG_OVERLAPPED)
	if first {
		mode |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
	}
	return windows.CreateNamedPipe(name, mode,
		windows.PIPE_TYPE_BYTE|windows.PIPE_READMODE_BYTE|windows.PIPE_WAIT|windows.PIPE_REJECT_REMOTE_CLIENTS,
		windows.PIPE_UNLIMITED_INSTANCES, pipeBufferSize, pipeBufferSize, 0, l.sa)
}

func (l *pipeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if l.closed {
			return nil, net.ErrClosed
		}
		h := l.next
		err := l.connect(h)
		if errors.Is(err, windows.ERROR_NO_DATA) {
			// The client came and went before we saw it: reuse the instance.
			windows.DisconnectNamedPipe(h)
			continue
		}
		if err != nil {
			return nil, err
		}
		// Another instance waits before this one is handed out, so a
		// client dialling now is not turned away for long.
		next, nerr := l.newInstance(false)
		if nerr != nil {
			// Keep serving this client; the next Accept reports the error.
			next = windows.InvalidHandle
		}
		l.next = next
		return newPipeConn(h, l.addr), nil
	}
}

// connect waits for a client on h, or for Close.
func (l *pipeListener) connect(h windows.Handle) error {
	if h == windows.InvalidHandle {
		next, err := l.newInstance(false)
		if err != nil {
			return fmt.Errorf("accept %s: %w", l.addr, err)
		}
		l.next, h = next, next
	}
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	defer windows.CloseHandle(ev)
	o := &windows.Overlapped{HEvent: ev}
	switch err := windows.ConnectNamedPipe(h, o); {
	case err == nil, errors.Is(err, windows.ERROR_PIPE_CONNECTED):
		return nil
	case !errors.Is(err, windows.ERROR_IO_PENDING):
		return fmt.Errorf("accept %s: %w", l.addr, err)
	}
	ev2 := [2]windows.Handle{ev, l.closeEv}
	r, err := windows.WaitForMultipleObjects(ev2[:], false, windows.INFINITE)
	if err != nil || r != windows.WAIT_OBJECT_0 {
		// Closed (or the wait failed): cancel, and wait until the system
		// has let go of o before it goes out of scope.
		windows.CancelIoEx(h, o)
		var n uint32
		windows.GetOverlappedResult(h, o, &n, true)
		if err != nil {
			return fmt.Errorf("accept %s: %w", l.addr, err)
		}
		return net.ErrClosed
	}
	var n uint32
	if err := windows.GetOverlappedResult(h, o, &n, false); err != nil && !errors.Is(err, windows.ERROR_PIPE_CONNECTED) {
		return fmt.Errorf("accept %s: %w", l.addr, err)
	}
	return nil
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() {
		windows.SetEvent(l.closeEv) // wake Accept, then wait for it to leave
		l.mu.Lock()
		defer l.mu.Unlock()
		l.closed = true
		if l.next != windows.InvalidHandle {
			windows.CloseHandle(l.next)
		}
		windows.CloseHandle(l.closeEv)
		windows.CloseHandle(l.mutex)
	})
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.addr) }

type pipeAddr string

func (pipeAddr) Network() string  { return "pipe" }
func (a pipeAddr) String() string { return string(a) }

// pipeConn is a connected pipe handle as a net.Conn. os.File supplies
// reads, writes, deadlines and a Close that cancels pending I/O.
type pipeConn struct {
	*os.File
	addr pipeAddr
}

func newPipeConn(h windows.Handle, addr string) *pipeConn {
	return &pipeConn{File: os.NewFile(uintptr(h), addr), addr: pipeAddr(addr)}
}

func (c *pipeConn) LocalAddr() net.Addr  { return c.addr }
func (c *pipeConn) RemoteAddr() net.Addr { return c.addr }

func dial(ctx context.Context, addr string) (net.Conn, error) {
	return dialChecked(ctx, addr, pipeServerSID)
}

// openPipe opens a client end of the pipe at addr.
func openPipe(addr string) (windows.Handle, error) {
	name, err := windows.UTF16PtrFromString(addr)
	if err != nil {
		return windows.InvalidHandle, err
	}
	// SECURITY_IDENTIFICATION: the server may learn who we are but not
	// act as us.
	return windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING,
		windows.FILE_FLAG_OVERLAPPED|windows.SECURITY_SQOS_PRESENT|windows.SECURITY_IDENTIFICATION, 0)
}

// dialChecked connects and, before anything is written, has serverSID
// say who serves the pipe: only our own user is talked to.
func dialChecked(ctx context.Context, addr string, serverSID func(windows.Handle) (string, error)) (net.Conn, error) {
	self, err := userSID()
	if err != nil {
		return nil, fmt.Errorf("dial agent: %w", err)
	}
	for {
		h, err := openPipe(addr)
		if err == nil {
			sid, lookupErr := serverSID(h)
			if err := checkServer(addr, sid, lookupErr, self); err != nil {
				windows.CloseHandle(h)
				return nil, fmt.Errorf("dial agent: %w", err)
			}
			return newPipeConn(h, addr), nil
		}
		if !errors.Is(err, windows.ERROR_PIPE_BUSY) {
			return nil, fmt.Errorf("dial agent: %w", &os.PathError{Op: "open", Path: addr, Err: err})
		}
		// Every instance is taken for a moment; the agent makes another.
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("dial agent: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
