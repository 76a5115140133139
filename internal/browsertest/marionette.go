package browsertest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
)

// marionette is a minimal client of Firefox's built-in remote protocol:
// messages are "<length>:<json>", commands [0, id, name, params] and
// answers [1, id, error, result].
type marionette struct {
	conn net.Conn
	r    *bufio.Reader

	mu     sync.Mutex // one command at a time
	nextID int
}

// MarionetteError is an error the browser answered.
type MarionetteError struct {
	Cmd        string
	Err        string `json:"error"`
	Message    string `json:"message"`
	Stacktrace string `json:"stacktrace"`
}

func (e *MarionetteError) Error() string { return e.Cmd + ": " + e.Err + ": " + e.Message }

func dialMarionette(ctx context.Context, addr string) (*marionette, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	m := &marionette{conn: conn, r: bufio.NewReader(conn)}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	hello, err := m.read()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("marionette greeting: %w", err)
	}
	var h struct {
		Protocol int `json:"marionetteProtocol"`
	}
	if err := json.Unmarshal(hello, &h); err != nil || h.Protocol < 3 {
		conn.Close()
		return nil, fmt.Errorf("marionette greeting %q: want protocol 3", hello)
	}
	return m, nil
}

func (m *marionette) read() ([]byte, error) {
	prefix, err := m.r.ReadString(':')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(prefix[:len(prefix)-1])
	if err != nil || n < 0 || n > 64<<20 {
		return nil, fmt.Errorf("marionette: bad length %q", prefix)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(m.r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// Call sends command name with params and decodes the result into out.
// Cancelling ctx closes the connection (Marionette has no way to abandon
// one command).
func (m *marionette) Call(ctx context.Context, name string, params, out any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if params == nil {
		params = map[string]any{}
	}
	m.nextID++
	id := m.nextID
	msg, err := json.Marshal([]any{0, id, name, params})
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { m.conn.Close() })
	defer stop()
	if _, err := m.conn.Write(append([]byte(strconv.Itoa(len(msg))+":"), msg...)); err != nil {
		return m.ctxErr(ctx, name, err)
	}
	for {
		data, err := m.read()
		if err != nil {
			return m.ctxErr(ctx, name, err)
		}
		var resp []json.RawMessage
		if err := json.Unmarshal(data, &resp); err != nil || len(resp) != 4 {
			return fmt.Errorf("%s: bad answer %.200s", name, data)
		}
		var typ, rid int
		json.Unmarshal(resp[0], &typ)
		json.Unmarshal(resp[1], &rid)
		if typ != 1 || rid != id {
			continue // a stale answer to a command whose caller gave up
		}
		if string(resp[2]) != "null" {
			e := &MarionetteError{Cmd: name}
			if err := json.Unmarshal(resp[2], e); err != nil {
				return fmt.Errorf("%s: %s", name, resp[2])
			}
			return e
		}
		if out == nil {
			return nil
		}
		return json.Unmarshal(resp[3], out)
	}
}

func (m *marionette) ctxErr(ctx context.Context, name string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", name, ctx.Err())
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: firefox closed the marionette connection", name)
	}
	return fmt.Errorf("%s: %w", name, err)
}

func (m *marionette) Close() error { return m.conn.Close() }
