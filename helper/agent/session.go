package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/nativemsg"
)

// sendQueue bounds what a session may owe its client. A client that stops
// reading is disconnected rather than stalling events for everyone.
const sendQueue = 256

// Session kinds, as helper.status reports them.
const (
	kindPage      = "page"      // an Agent Desktop page through the extension
	kindExtension = "extension" // the extension's own privileged pages
	kindLocal     = "local"     // the CLI on this machine
)

// identity is what relay.identify told us about the caller.
type identity struct {
	Browser     string `json:"browser"`
	Extension   string `json:"extension"`
	Manifest    string `json:"manifest,omitempty"`
	HostVersion string `json:"hostVersion,omitempty"`
	HostPid     int    `json:"hostPid,omitempty"`
}

type session struct {
	srv  *Server
	conn net.Conn
	id   string
	log  zerolog.Logger

	out       chan []byte
	done      chan struct{}
	ctx       context.Context // ends when the session closes
	cancel    context.CancelFunc
	closeOnce sync.Once

	// Set by the read loop only; guarded by mu because status reads them.
	mu         sync.Mutex
	frames     int
	relayed    *identity
	refused    *policy.Refusal // the extension is not admitted
	hello      bool
	kind       string
	client     string
	clientVer  string
	pageOrigin string
	desktopApp bool
	order      int

	announce bool // read loop only: broadcast the client list after this answer
}

func newSession(srv *Server, c net.Conn, n int) *session {
	id := fmt.Sprintf("s%d", n)
	ctx, cancel := context.WithCancel(context.Background())
	return &session{
		ctx:    ctx,
		cancel: cancel,
		srv:    srv,
		conn:   c,
		id:     id,
		log:    srv.log.With().Str("session", id).Logger(),
		out:    make(chan []byte, sendQueue),
		done:   make(chan struct{}),
		order:  n,
	}
}

func (ss *session) close() {
	ss.closeOnce.Do(func() {
		ss.cancel()
		close(ss.done)
		ss.conn.Close()
	})
}

// send queues a frame; a full queue means the client stopped reading.
func (ss *session) send(frame []byte) {
	select {
	case <-ss.done:
	case ss.out <- frame:
	default:
		ss.log.Warn().Msg("client is not reading; closing its session")
		ss.close()
	}
}

func (ss *session) writeLoop() {
	for {
		select {
		case <-ss.done:
			return
		case f := <-ss.out:
			if f == nil {
				ss.close()
				return
			}
			if err := nativemsg.WriteFrame(ss.conn, f); err != nil {
				ss.close()
				return
			}
		}
	}
}

func (ss *session) readLoop() {
	ss.log.Debug().Msg("session opened")
	r := nativemsg.NewReader(ss.conn)
	for {
		payload, err := r.ReadFrame()
		if err != nil {
			var tooBig *nativemsg.FrameTooLargeError
			switch {
			case errors.As(err, &tooBig):
				ss.log.Warn().Uint32("bytes", tooBig.Size).Msg("frame too large; closing session")
				ss.reply(nil, nil, jsonrpc.Errorf(jsonrpc.CodeInvalidRequest, "invalid request: %v", err))
			case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
			default:
				ss.log.Debug().Err(err).Msg("session read")
			}
			ss.log.Debug().Msg("session closed")
			return
		}
		ss.handle(payload)
	}
}

// flushAndClose closes the session once the frames queued so far (the
// frame-too-large error) are written: a nil frame tells the writer to stop.
func (ss *session) flushAndClose() { ss.send(nil) }

func (ss *session) handle(payload []byte) {
	ss.mu.Lock()
	ss.frames++
	first := ss.frames == 1
	ss.mu.Unlock()

	msg, id, rerr := jsonrpc.Decode(payload)
	if rerr != nil {
		ss.log.Info().Int("code", rerr.Code).Msg("bad frame")
		ss.reply(id, nil, rerr)
		return
	}
	switch {
	case msg.IsNotification():
		if msg.Method == "relay.identify" && first {
			ss.identify(msg.Params)
			return
		}
		ss.log.Debug().Str("method", msg.Method).Msg("notification ignored")
		return
	case !msg.IsRequest():
		return // a response: we never ask clients anything yet
	}
	result, rerr := ss.dispatch(msg)
	ss.reply(msg.ID, result, rerr)
	if ss.announce {
		// After the answer is queued, so a new client hears about itself too.
		ss.announce = false
		ss.srv.broadcastClients()
		ss.srv.announceHello(ss)
	}
}

func (ss *session) identify(params json.RawMessage) {
	var id identity
	if err := jsonrpc.UnmarshalParams(params, &id); err != nil {
		ss.log.Warn().Msg("relay.identify with bad params; treating caller as unknown")
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.relayed = &id
	if p, _, err := ss.srv.policy.Load(); err != nil {
		ss.refused = &policy.Refusal{Reason: jsonrpc.ReasonExtensionNotAllowed}
		ss.log.Error().Err(err).Msg("policy unreadable; refusing the extension")
	} else if r := p.CheckExtension(id.Extension); r != nil {
		ss.refused = r
	}
	ev := ss.log.Info().Str("browser", id.Browser).Str("extension", id.Extension).Str("hostVersion", id.HostVersion).Int("hostPid", id.HostPid)
	if ss.refused != nil {
		ev.Str("refused", ss.refused.Reason)
	}
	ev.Msg("relay identified")
}

func (ss *session) reply(id json.RawMessage, result any, rerr *jsonrpc.Error) {
	if id == nil && rerr == nil {
		return
	}
	var frame []byte
	if rerr != nil {
		frame = jsonrpc.ErrorResponse(id, rerr)
	} else {
		var err error
		frame, err = jsonrpc.Response(id, result)
		if err != nil {
			ss.log.Error().Err(err).Msg("encode result")
			frame = jsonrpc.ErrorResponse(id, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: result could not be encoded"))
		}
	}
	if len(frame) > nativemsg.MaxFrame {
		ss.log.Error().Int("bytes", len(frame)).Msg("answer too large for the browser")
		frame = jsonrpc.ErrorResponse(id, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: answer exceeds %d bytes", nativemsg.MaxFrame))
	}
	ss.send(frame)
}

func encodeEvent(event string, params any) ([]byte, error) {
	frame, err := jsonrpc.Notification(event, params)
	if err != nil {
		return nil, err
	}
	if len(frame) > nativemsg.MaxFrame {
		return nil, fmt.Errorf("event %s: %d bytes exceeds the frame limit", event, len(frame))
	}
	return frame, nil
}

func (ss *session) helloDone() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.hello
}

// caller is who the session speaks for, once it said hello.
func (ss *session) caller() (*Call, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if !ss.hello {
		return nil, false
	}
	return &Call{Kind: ss.kind, PageOrigin: ss.pageOrigin, SessionID: ss.id,
		DesktopApp: ss.desktopApp, Client: ss.client, ClientVersion: ss.clientVer}, true
}

type clientInfo struct {
	SessionID     string `json:"sessionId"`
	Kind          string `json:"kind"`
	Client        string `json:"client,omitempty"`
	ClientVersion string `json:"clientVersion,omitempty"`
	PageOrigin    string `json:"pageOrigin,omitempty"`
	Browser       string `json:"browser,omitempty"`
	order         int
}

func (ss *session) info() (clientInfo, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if !ss.hello {
		return clientInfo{}, false
	}
	ci := clientInfo{SessionID: ss.id, Kind: ss.kind, Client: ss.client, ClientVersion: ss.clientVer, PageOrigin: ss.pageOrigin, order: ss.order}
	if ss.relayed != nil {
		ci.Browser = ss.relayed.Browser
	}
	return ci, true
}
