package ipc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

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
	// the owner dies. The pipe's FILE_FLAG_FIRST_PIPE_INSTANCE (set by
	// go-winio) would too, but not every Windows API implementation
	// honours it.
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
	cfg := &winio.PipeConfig{SecurityDescriptor: "D:P(A;;GA;;;" + sid + ")"}
	ln, err := winio.ListenPipe(addr, cfg)
	if err != nil {
		windows.CloseHandle(mutex)
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_PIPE_BUSY) {
			return nil, ErrAgentRunning
		}
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return &pipeListener{Listener: ln, mutex: mutex}, nil
}

// pipeListener releases the ownership mutex with the pipe.
type pipeListener struct {
	net.Listener
	mutex     windows.Handle
	closeOnce sync.Once
	closeErr  error
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() {
		l.closeErr = l.Listener.Close()
		windows.CloseHandle(l.mutex)
	})
	return l.closeErr
}

func dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := winio.DialPipeContext(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("dial agent: %w", err)
	}
	return c, nil
}
