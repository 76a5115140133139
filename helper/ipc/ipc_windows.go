package ipc

import (
	"context"
	"errors"
	"fmt"
	"net"

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
	// Protected DACL with a single entry: full access for this user only.
	cfg := &winio.PipeConfig{SecurityDescriptor: "D:P(A;;GA;;;" + sid + ")"}
	ln, err := winio.ListenPipe(addr, cfg)
	if err != nil {
		// go-winio creates the first instance with
		// FILE_FLAG_FIRST_PIPE_INSTANCE: it fails while another agent
		// holds the name.
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_PIPE_BUSY) {
			return nil, ErrAgentRunning
		}
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return ln, nil
}

func dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := winio.DialPipeContext(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("dial agent: %w", err)
	}
	return c, nil
}
