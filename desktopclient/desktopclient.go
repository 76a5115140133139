// Package desktopclient is the desktop API (docs/DESKTOP-API.md) for Go
// applications: a CRM or tool of the agent's own OS user asks the Agent
// Desktop, through the bpclient agent, to make calls and to pause and
// resume recording, and hears its interaction events.
//
//	c, err := desktopclient.Dial(ctx, desktopclient.Options{Name: "Acme CRM", Version: "1.2"})
//	...
//	for ev := range c.Events() {
//		switch ev := ev.(type) {
//		case desktopclient.Attached: // the agent logged in: ev.Agent
//		case desktopclient.Interaction: // ev.Event == "call.initiated", ...
//		}
//	}
//
// The client reconnects by itself when the agent restarts (Connection
// events say so), and answers calls made meanwhile with ErrNotConnected.
// It lives in its own top-level package, beside sip/ and audio/, because
// it is for other programs: it imports only the agent's wire packages.
package desktopclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/ipc"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
)

// ErrNotConnected answers a request made while the agent is not reachable.
var ErrNotConnected = errors.New("desktopclient: not connected to the bpclient agent")

// ErrClosed answers a request made after Close.
var ErrClosed = errors.New("desktopclient: closed")

// Options configure a Client.
type Options struct {
	// Name and Version identify the application to the Agent Desktop
	// (each at most 128 bytes); Name is required.
	Name, Version string
	// Addr is the agent's endpoint; "" is this user's (ipc.DefaultAddr).
	Addr string
	// Retry is the wait between reconnect attempts; 0 means 500 ms. It
	// doubles up to MaxRetry (0: 5 s) while the agent stays away.
	Retry, MaxRetry time.Duration
	// EventBuffer is how many events wait for the application; 0 means
	// 256. When it is full new events are dropped and counted (Dropped).
	EventBuffer int
}

// Client is one application's connection to the agent. Its methods may
// be called from any goroutine.
type Client struct {
	opts   Options
	events chan Event
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	conn    *client.Client // nil while disconnected
	closed  bool
	dropped int
}

// Dial connects to the agent, says hello as a desktop application and
// returns the client; it fails if the first connection fails (the agent
// is not running or refuses the hello). After that it reconnects on its
// own until Close.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	if opts.Name == "" {
		return nil, errors.New("desktopclient: Options.Name is required")
	}
	if opts.Addr == "" {
		addr, err := ipc.DefaultAddr()
		if err != nil {
			return nil, fmt.Errorf("desktopclient: the agent's endpoint: %w", err)
		}
		opts.Addr = addr
	}
	if opts.Retry <= 0 {
		opts.Retry = 500 * time.Millisecond
	}
	if opts.MaxRetry < opts.Retry {
		opts.MaxRetry = max(5*time.Second, opts.Retry)
	}
	if opts.EventBuffer <= 0 {
		opts.EventBuffer = 256
	}
	c := &Client{opts: opts, events: make(chan Event, opts.EventBuffer), done: make(chan struct{})}
	conn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	// A request made right after Dial returns must find the connection,
	// whether or not run has started yet.
	c.setConn(conn)
	go c.run(runCtx, conn)
	return c, nil
}

// connect dials and says hello.
func (c *Client) connect(ctx context.Context) (*client.Client, error) {
	conn, err := client.Dial(ctx, c.opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("desktopclient: connect to the agent at %s: %w", c.opts.Addr, err)
	}
	hello := map[string]any{"client": c.opts.Name, "clientVersion": c.opts.Version, "desktopApp": true}
	if err := conn.Call(ctx, "helper.hello", hello, nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("desktopclient: hello: %w", err)
	}
	return conn, nil
}

// run owns the connection: it pumps its events, and when the agent goes
// away it reconnects with backoff until ctx ends (Close).
func (c *Client) run(ctx context.Context, conn *client.Client) {
	defer close(c.done)
	defer close(c.events)
	for {
		c.setConn(conn)
		c.emit(Connection{Connected: true})
		c.announceSession(ctx, conn)
		c.pump(ctx, conn)
		c.setConn(nil)
		conn.Close()
		if ctx.Err() != nil {
			return
		}
		c.emit(Connection{Connected: false})
		if conn = c.reconnect(ctx); conn == nil {
			return
		}
	}
}

// announceSession tells the application, after each (re)connection,
// whether a page is attached: the change events it missed are gone.
func (c *Client) announceSession(ctx context.Context, conn *client.Client) {
	var s sessionView
	callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := conn.Call(callCtx, "desktop.session", nil, &s); err != nil || !s.Attached || s.Agent == nil {
		return
	}
	c.emit(Attached{Agent: *s.Agent, Functions: s.Functions})
}

func (c *Client) pump(ctx context.Context, conn *client.Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-conn.Events():
			if !ok {
				return
			}
			if e := decodeEvent(ev.Method, ev.Params); e != nil {
				c.emit(e)
			}
		}
	}
}

func (c *Client) reconnect(ctx context.Context) *client.Client {
	wait := c.opts.Retry
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		dialCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := c.connect(dialCtx)
		cancel()
		if err == nil {
			return conn
		}
		wait = min(wait*2, c.opts.MaxRetry)
	}
}

func (c *Client) setConn(conn *client.Client) {
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
}

func (c *Client) emit(e Event) {
	select {
	case c.events <- e:
	default:
		c.mu.Lock()
		c.dropped++
		c.mu.Unlock()
	}
}

// Events delivers what happens, in order: Connection, Attached, Detached,
// Interaction and HelperEvent values. It is closed after Close.
func (c *Client) Events() <-chan Event { return c.events }

// Dropped is how many events were dropped because Events was not read.
func (c *Client) Dropped() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}

// Close ends the connection and the reconnects and closes Events.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	conn := c.conn
	c.mu.Unlock()
	c.cancel()
	if conn != nil {
		conn.Close()
	}
	<-c.done
	return nil
}

// call sends one request on the current connection.
func (c *Client) call(ctx context.Context, method string, params, result any) error {
	c.mu.Lock()
	conn, closed := c.conn, c.closed
	c.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case conn == nil:
		return ErrNotConnected
	}
	err := conn.Call(ctx, method, params, result)
	if errors.Is(err, client.ErrClosed) {
		return fmt.Errorf("%w: %v", ErrNotConnected, err)
	}
	return err
}

// Error is the agent's or the Agent Desktop's refusal of a request.
type Error = jsonrpc.Error

// Reasons of CodeNoSession (docs/DESKTOP-API.md).
const (
	CodeNoSession      = jsonrpc.CodeNoDesktopSession
	ReasonNotAttached  = jsonrpc.ReasonNotAttached
	ReasonProviderLeft = jsonrpc.ReasonProviderLeft
	ReasonTimeout      = jsonrpc.ReasonTimeout
	ReasonNotOffered   = jsonrpc.ReasonNotOffered
)

// NoSessionReason reports why err is "no Agent Desktop session"
// (ReasonNotAttached, ...), or false when it is some other error.
func NoSessionReason(err error) (string, bool) {
	var rerr *jsonrpc.Error
	if !errors.As(err, &rerr) || rerr.Code != CodeNoSession {
		return "", false
	}
	switch d := rerr.Data.(type) {
	case map[string]any:
		r, _ := d["reason"].(string)
		return r, true
	case map[string]string:
		return d["reason"], true
	}
	return "", true
}

// MakeCall asks the Agent Desktop to call number; the result is the
// page's answer as it gave it.
func (c *Client) MakeCall(ctx context.Context, number string) (json.RawMessage, error) {
	var r json.RawMessage
	err := c.call(ctx, "desktop.makeCall", map[string]string{"number": number}, &r)
	return r, err
}

// Recording says which recordings a pause or resume concerns.
type Recording struct {
	Voice  bool `json:"voice"`
	Screen bool `json:"screen"`
}

// PauseRecording asks the Agent Desktop to pause the recordings named.
func (c *Client) PauseRecording(ctx context.Context, which Recording) (json.RawMessage, error) {
	var r json.RawMessage
	err := c.call(ctx, "desktop.pauseRecording", which, &r)
	return r, err
}

// ResumeRecording asks the Agent Desktop to resume the recordings named.
func (c *Client) ResumeRecording(ctx context.Context, which Recording) (json.RawMessage, error) {
	var r json.RawMessage
	err := c.call(ctx, "desktop.resumeRecording", which, &r)
	return r, err
}

// Status asks the Agent Desktop for its status (the page's answer).
func (c *Client) Status(ctx context.Context) (json.RawMessage, error) {
	var r json.RawMessage
	err := c.call(ctx, "desktop.status", nil, &r)
	return r, err
}

// Session is whether an Agent Desktop is attached, and who is logged in.
type Session struct {
	Attached  bool
	Agent     Agent
	Functions []string
}

// Session asks the agent (not the page) whether a page is attached.
func (c *Client) Session(ctx context.Context) (Session, error) {
	var s sessionView
	if err := c.call(ctx, "desktop.session", nil, &s); err != nil {
		return Session{}, err
	}
	out := Session{Attached: s.Attached, Functions: s.Functions}
	if s.Agent != nil {
		out.Agent = *s.Agent
	}
	return out, nil
}
