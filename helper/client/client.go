// Package client talks to a running agent over its local endpoint: the
// CLI uses it, and so do tests. It links no agent code.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/nativemsg"
)

// Event is a notification from the agent.
type Event struct {
	Method string
	Params json.RawMessage
}

// ErrClosed is returned by calls on a closed or disconnected client.
var ErrClosed = errors.New("connection to the agent closed")

// Client is one session with the agent. Its read goroutine ends when the
// connection closes.
type Client struct {
	conn   net.Conn
	events chan Event
	done   chan struct{}

	wmu sync.Mutex // one frame at a time on the wire

	mu      sync.Mutex
	nextID  int
	pending map[string]chan *jsonrpc.Message
	err     error
}

// Dial connects to the agent at addr ("" for this user's default).
func Dial(ctx context.Context, addr string) (*Client, error) {
	if addr == "" {
		var err error
		if addr, err = ipc.DefaultAddr(); err != nil {
			return nil, err
		}
	}
	c, err := ipc.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return New(c), nil
}

// New wraps an open connection. Events that arrive while nobody reads
// Events are dropped beyond a small buffer.
func New(conn net.Conn) *Client {
	c := &Client{
		conn:    conn,
		events:  make(chan Event, 64),
		done:    make(chan struct{}),
		pending: make(map[string]chan *jsonrpc.Message),
	}
	go c.readLoop()
	return c
}

// Events delivers the agent's notifications; it is closed with the client.
func (c *Client) Events() <-chan Event { return c.events }

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// Close ends the session.
func (c *Client) Close() error {
	err := c.conn.Close()
	<-c.done
	return err
}

func (c *Client) readLoop() {
	defer close(c.done)
	defer close(c.events)
	r := nativemsg.NewReader(c.conn)
	var err error
	for {
		var payload []byte
		payload, err = r.ReadFrame()
		if err != nil {
			break
		}
		msg, _, rerr := jsonrpc.Decode(payload)
		if rerr != nil {
			continue
		}
		if msg.IsNotification() {
			select {
			case c.events <- Event{Method: msg.Method, Params: append(json.RawMessage(nil), msg.Params...)}:
			default:
			}
			continue
		}
		c.mu.Lock()
		ch := c.pending[string(msg.ID)]
		delete(c.pending, string(msg.ID))
		c.mu.Unlock()
		if ch != nil {
			ch <- msg
		}
	}
	c.mu.Lock()
	c.err = fmt.Errorf("%w: %v", ErrClosed, err)
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

func (c *Client) write(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return nativemsg.WriteFrame(c.conn, frame)
}

// Notify sends a notification.
func (c *Client) Notify(method string, params any) error {
	f, err := jsonrpc.Notification(method, params)
	if err != nil {
		return err
	}
	return c.write(f)
}

// Call sends a request and decodes the result into result (which may be
// nil). An error answer is returned as a *jsonrpc.Error.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return c.err
	}
	c.nextID++
	id := c.nextID
	ch := make(chan *jsonrpc.Message, 1)
	key := strconv.Itoa(id)
	c.pending[key] = ch
	c.mu.Unlock()

	f, err := jsonrpc.Request(id, method, params)
	if err == nil {
		err = c.write(f)
	}
	if err != nil {
		c.mu.Lock()
		delete(c.pending, key)
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, key)
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	case msg, ok := <-ch:
		if !ok {
			c.mu.Lock()
			defer c.mu.Unlock()
			return fmt.Errorf("%s: %w", method, c.err)
		}
		if msg.Error != nil {
			return msg.Error
		}
		if result != nil {
			if err := json.Unmarshal(msg.Result, result); err != nil {
				return fmt.Errorf("%s: decode result: %w", method, err)
			}
		}
		return nil
	}
}
