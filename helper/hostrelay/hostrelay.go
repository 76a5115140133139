// Package hostrelay is bpclient-host: the process a browser starts for each
// native port. It reaches the agent (starting it when nobody answers),
// names the caller, and relays frames both ways. It holds no state and
// links neither sip nor audio: everything that must outlive the port lives
// in the agent.
package hostrelay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/version"
)

// ReasonAgentUnavailable is data.reason of the -32004 the host answers
// when it cannot reach or start the agent (docs/API.md).
const ReasonAgentUnavailable = "agent-unavailable"

// Options wire the host to the world; tests replace any of them.
type Options struct {
	Args   []string // the host's arguments, without argv[0]
	Stdin  io.Reader
	Stdout io.Writer
	Log    zerolog.Logger
	// Dial reaches the agent.
	Dial func(ctx context.Context) (net.Conn, error)
	// StartAgent launches a detached agent; nil means never.
	StartAgent func() error
	// StartTimeout bounds how long a started agent has to answer.
	StartTimeout time.Duration
}

// Run relays until the browser closes stdin or the agent goes away and
// returns the process exit code.
func Run(ctx context.Context, o Options) int {
	caller, err := nativemsg.ParseCaller(o.Args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bpclient-host: %v\nThis program is started by the browser; see `bpclient install`.\n", err)
		return 2
	}
	log := o.Log.With().Stringer("browser", caller.Family).Str("extension", caller.Extension).Logger()
	out := &lockedWriter{w: o.Stdout}
	// Relay returns on the first side to end while the other direction's
	// copy may still be writing: nothing reaches Stdout once Run returns.
	defer out.close()

	conn, err := connect(ctx, o, log)
	if err != nil {
		log.Error().Err(err).Msg("agent unavailable")
		return answerUnavailable(o.Stdin, out, log)
	}
	defer conn.Close()

	ident, err := jsonrpc.Notification("relay.identify", map[string]any{
		"browser":     caller.Family.String(),
		"extension":   caller.Extension,
		"manifest":    caller.Manifest,
		"hostVersion": version.Version,
		"hostPid":     os.Getpid(),
	})
	if err == nil {
		err = nativemsg.WriteFrame(conn, ident)
	}
	if err != nil {
		log.Error().Err(err).Msg("identify to agent")
		return answerUnavailable(o.Stdin, out, log)
	}
	log.Debug().Msg("relaying")

	rerr := nativemsg.Relay(o.Stdin, out, conn)
	var tooBig *nativemsg.FrameTooLargeError
	switch {
	case rerr.Side == nativemsg.SideBrowser && errors.As(rerr.Err, &tooBig):
		log.Warn().Uint32("bytes", tooBig.Size).Msg("browser sent a frame over 1 MiB; closing the port")
		nativemsg.WriteFrame(out, jsonrpc.ErrorResponse(nil, jsonrpc.Errorf(jsonrpc.CodeInvalidRequest, "invalid request: %v", tooBig)))
		return 1
	case rerr.Side == nativemsg.SideBrowser:
		log.Debug().Err(rerr.Err).Msg("browser closed the port")
		return 0
	case errors.As(rerr.Err, &tooBig):
		log.Error().Uint32("bytes", tooBig.Size).Msg("agent sent a frame over 1 MiB")
		return 1
	default:
		log.Info().Err(rerr.Err).Msg("agent went away; closing the port so the extension reconnects")
		return 1
	}
}

// connect dials the agent; if nobody answers it starts one and retries
// until StartTimeout.
func connect(ctx context.Context, o Options, log zerolog.Logger) (net.Conn, error) {
	dialOnce := func() (net.Conn, error) {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return o.Dial(dctx)
	}
	c, err := dialOnce()
	if err == nil {
		return c, nil
	}
	if o.StartAgent == nil {
		return nil, err
	}
	log.Info().Err(err).Msg("no agent answers; starting one")
	if serr := o.StartAgent(); serr != nil {
		return nil, fmt.Errorf("no agent answers (%v) and none could be started: %w", err, serr)
	}
	deadline := time.Now().Add(o.StartTimeout)
	for wait := 10 * time.Millisecond; ; wait = min(wait*2, 200*time.Millisecond) {
		if c, err = dialOnce(); err == nil {
			log.Info().Msg("started agent answers")
			return c, nil
		}
		if time.Now().Add(wait).After(deadline) {
			return nil, fmt.Errorf("started an agent but it did not answer within %v: %w", o.StartTimeout, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// answerUnavailable answers every request from the browser with -32004
// until it closes the port, so the page learns why instead of hanging.
func answerUnavailable(in io.Reader, out io.Writer, log zerolog.Logger) int {
	r := nativemsg.NewReader(in)
	for {
		p, err := r.ReadFrame()
		if err != nil {
			var tooBig *nativemsg.FrameTooLargeError
			if errors.As(err, &tooBig) {
				nativemsg.WriteFrame(out, jsonrpc.ErrorResponse(nil, jsonrpc.Errorf(jsonrpc.CodeInvalidRequest, "invalid request: %v", tooBig)))
				return 1
			}
			return 0
		}
		msg, id, rerr := jsonrpc.Decode(p)
		if rerr != nil {
			nativemsg.WriteFrame(out, jsonrpc.ErrorResponse(id, rerr))
			continue
		}
		if !msg.IsRequest() {
			continue
		}
		// The cause (socket paths, user names, errors of the OS) is for
		// BPClient.log only: any page, allowed or not, reads this answer.
		e := jsonrpc.Errorf(jsonrpc.CodeUnavailable, "helper unavailable: the BPClient agent is not running and could not be started; see BPClient.log").
			WithData(map[string]string{"reason": ReasonAgentUnavailable})
		if err := nativemsg.WriteFrame(out, jsonrpc.ErrorResponse(msg.ID, e)); err != nil {
			log.Debug().Err(err).Msg("write to browser")
			return 1
		}
	}
}

// lockedWriter lets the relay and an error answer share stdout safely,
// and refuses writes after close.
type lockedWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, io.ErrClosedPipe
	}
	return l.w.Write(p)
}

func (l *lockedWriter) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}
