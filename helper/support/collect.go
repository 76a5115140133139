package support

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
)

// Event names of the page's logs.request.
const (
	// EventLogsRequested tells the user's own clients (the extension's
	// popup) that a page asks for a support bundle.
	EventLogsRequested = "logs.requested"
	// EventLogsCollected tells the asking page's origin how its request
	// ended: collected (the file's name) or denied.
	EventLogsCollected = "logs.collected"
)

// maxPendingRequests bounds the pages' requests waiting for the user.
const maxPendingRequests = 8

// CollectFunc writes a support bundle into dir and returns its path and
// size. The agent's runs `bpclient logs collect` in a child process: a
// bundle opens the sound system to list the devices, which must not
// disturb a call.
type CollectFunc func(ctx context.Context, dir string) (path string, size int64, err error)

// Collector answers logs.collect and the page's logs.request. A page
// cannot collect logs itself: the bundle names the numbers called and
// the accounts. It asks (logs.request); the user's own clients (the
// extension's popup, as with policy.allow, or the CLI) list the requests
// (logs.pending) and carry one out (logs.collect with its requestId) or
// deny it (logs.deny). The bundle goes to the user's Downloads folder.
type Collector struct {
	Collect CollectFunc
	// Downloads returns the folder bundles are saved to.
	Downloads func() (string, error)
	Events    agent.AudienceBroadcaster
	Now       func() time.Time

	mu      sync.Mutex
	nextID  int
	pending []PendingRequest
	running sync.Mutex // one bundle at a time
}

// PendingRequest is a page's logs.request waiting for the user.
type PendingRequest struct {
	RequestID string `json:"requestId"`
	Origin    string `json:"origin"`
	At        string `json:"at"`
}

// Name implements agent.Service.
func (c *Collector) Name() string { return "logs" }

// Capabilities implements agent.Service: "logs-collect" says that a page
// may ask for a support bundle (logs.request).
func (c *Collector) Capabilities() []string { return []string{"logs-collect"} }

// Status implements agent.Service.
func (c *Collector) Status() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return map[string]int{"pendingRequests": len(c.pending)}
}

// Methods implements agent.Service.
func (c *Collector) Methods() map[string]agent.Method {
	return map[string]agent.Method{
		"logs.request": c.request,
		"logs.pending": c.userOnly(c.list),
		"logs.collect": c.userOnly(c.collect),
		"logs.deny":    c.userOnly(c.deny),
	}
}

// userOnly admits the user's own clients: the CLI and the extension's
// privileged pages, never a page.
func (c *Collector) userOnly(m agent.Method) agent.Method {
	return func(ctx context.Context, call *agent.Call) (any, *jsonrpc.Error) {
		if !agent.ToOrigin("").Admits(call) {
			return nil, (&policy.Refusal{Reason: jsonrpc.ReasonPrivileged}).RPCError("a page may only ask for a support bundle (logs.request); the user collects it")
		}
		return m(ctx, call)
	}
}

func (c *Collector) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// request queues a page's request and tells the user's clients.
func (c *Collector) request(_ context.Context, call *agent.Call) (any, *jsonrpc.Error) {
	if call.PageOrigin == "" {
		return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: logs.request is for pages; collect with logs.collect")
	}
	c.mu.Lock()
	for _, p := range c.pending {
		if p.Origin == call.PageOrigin {
			c.mu.Unlock()
			return map[string]string{"requestId": p.RequestID, "state": "pending"}, nil
		}
	}
	if len(c.pending) >= maxPendingRequests {
		c.mu.Unlock()
		return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidRequest, "too many support bundle requests wait for the user")
	}
	c.nextID++
	req := PendingRequest{RequestID: "logs-" + strconv.Itoa(c.nextID), Origin: call.PageOrigin, At: c.now().UTC().Format(time.RFC3339)}
	c.pending = append(c.pending, req)
	c.mu.Unlock()
	c.Events.BroadcastTo(agent.ToOrigin(""), EventLogsRequested, req)
	return map[string]string{"requestId": req.RequestID, "state": "pending"}, nil
}

func (c *Collector) list(context.Context, *agent.Call) (any, *jsonrpc.Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return map[string]any{"requests": append([]PendingRequest{}, c.pending...)}, nil
}

type requestParams struct {
	RequestID string `json:"requestId"`
}

// take removes and returns the pending request id.
func (c *Collector) take(id string) (PendingRequest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.pending {
		if p.RequestID == id {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return p, true
		}
	}
	return PendingRequest{}, false
}

// collect writes a bundle to Downloads: the user's own (the popup's
// "Collect logs", no requestId) or a page's request the user confirmed.
func (c *Collector) collect(ctx context.Context, call *agent.Call) (any, *jsonrpc.Error) {
	var p requestParams
	if err := call.Decode(&p); err != nil {
		return nil, err
	}
	var req PendingRequest
	if p.RequestID != "" {
		var ok bool
		if req, ok = c.take(p.RequestID); !ok {
			return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: no pending request %q", p.RequestID)
		}
	}
	dir, err := c.Downloads()
	if err != nil {
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: the Downloads folder: %v", err)
	}
	c.running.Lock()
	path, size, err := c.Collect(ctx, dir)
	c.running.Unlock()
	if err != nil {
		if req.Origin != "" {
			c.Events.BroadcastTo(agent.ToOrigin(req.Origin), EventLogsCollected, map[string]any{"requestId": req.RequestID, "error": "the support bundle could not be written"})
		}
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: collect logs: %v", err)
	}
	name := filepath.Base(path)
	if req.Origin != "" {
		// The page learns that the user saved it and its name, not
		// where: pages never get paths.
		c.Events.BroadcastTo(agent.ToOrigin(req.Origin), EventLogsCollected, map[string]any{"requestId": req.RequestID, "saved": true, "fileName": name})
	}
	res := map[string]any{"saved": true, "fileName": name, "bytes": size}
	if call.Local() {
		res["path"] = path
	}
	return res, nil
}

func (c *Collector) deny(_ context.Context, call *agent.Call) (any, *jsonrpc.Error) {
	var p requestParams
	if err := call.Decode(&p); err != nil {
		return nil, err
	}
	req, ok := c.take(p.RequestID)
	if !ok {
		return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: no pending request %q", p.RequestID)
	}
	c.Events.BroadcastTo(agent.ToOrigin(req.Origin), EventLogsCollected, map[string]any{"requestId": req.RequestID, "denied": true})
	return map[string]bool{"denied": true}, nil
}
