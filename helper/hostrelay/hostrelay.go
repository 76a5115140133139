// Package hostrelay is bpclient-host: the process a browser starts for each
// native port. It reaches the agent (starting it when nobody answers),
// names the caller, and relays frames both ways. It holds no state and
// links neither sip nor audio: everything that must outlive the port lives
// in the agent.
package hostrelay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/version"
)

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
	// Admit, when set, is asked before an agent is started for this port:
	// the first request is read, and when it is a helper.hello that Admit
	// refuses (the calling extension, or the hello's pageOrigin), the host
	// answers that refusal to it and every later request itself, and
	// starts nothing. A page that is not allowed cannot start the agent.
	// A running agent decides for itself; Admit is not asked then.
	Admit func(extension, pageOrigin string) *jsonrpc.Error
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

	// first is a frame read from the browser before an agent was started
	// (to ask Admit); it is relayed first.
	var first []byte
	admit := func() (err error) {
		first, err = admitFirst(o, caller.Extension, out, log)
		return err
	}
	conn, err := connect(ctx, o, log, admit)
	var refused *refusedError
	if errors.As(err, &refused) {
		return answerAll(o.Stdin, out, refused.answer, log)
	}
	var ended *inputError
	if errors.As(err, &ended) {
		var tooBig *nativemsg.FrameTooLargeError
		if errors.As(ended.err, &tooBig) {
			return refuseTooLarge(out, tooBig, log)
		}
		log.Debug().Err(ended.err).Msg("browser closed the port before its first request")
		return 0
	}
	if err != nil {
		log.Error().Err(err).Msg("agent unavailable")
		return answerUnavailable(withFirst(first, o.Stdin), out, log)
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
		return answerUnavailable(withFirst(first, o.Stdin), out, log)
	}
	if first != nil {
		if err := nativemsg.WriteFrame(conn, first); err != nil {
			log.Error().Err(err).Msg("relay the first request to the agent")
			return answerUnavailable(withFirst(first, o.Stdin), out, log)
		}
	}
	log.Debug().Msg("relaying")

	rerr := nativemsg.Relay(o.Stdin, out, conn)
	var tooBig *nativemsg.FrameTooLargeError
	switch {
	case rerr.Side == nativemsg.SideBrowser && errors.As(rerr.Err, &tooBig):
		return refuseTooLarge(out, tooBig, log)
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

// PolicyAdmit is an Admit that refuses what the agent's policy (store)
// refuses: an extension it does not admit, a page origin it does not
// allow, with the agent's -32001 and data (reason, canAsk, origin). A
// policy it cannot read admits: the agent then decides, and logs why.
func PolicyAdmit(store *policy.Store) func(extension, pageOrigin string) *jsonrpc.Error {
	return func(extension, pageOrigin string) *jsonrpc.Error {
		pol, _, err := store.Load()
		if err != nil {
			return nil
		}
		r := pol.CheckExtension(extension)
		if r == nil && pageOrigin != "" {
			r = pol.CheckOrigin(pageOrigin)
		}
		if r == nil {
			return nil
		}
		return r.RPCError(r.Message())
	}
}

// withFirst puts back a frame read ahead of in (nil: none).
func withFirst(first []byte, in io.Reader) io.Reader {
	if first == nil {
		return in
	}
	var b bytes.Buffer
	nativemsg.WriteFrame(&b, first) // a frame read from in fits again
	return io.MultiReader(&b, in)
}

// refuseTooLarge answers a browser frame over 1 MiB and ends the port.
func refuseTooLarge(out io.Writer, tooBig *nativemsg.FrameTooLargeError, log zerolog.Logger) int {
	log.Warn().Uint32("bytes", tooBig.Size).Msg("browser sent a frame over 1 MiB; closing the port")
	nativemsg.WriteFrame(out, jsonrpc.ErrorResponse(nil, jsonrpc.Errorf(jsonrpc.CodeInvalidRequest, "invalid request: %v", tooBig)))
	return 1
}

// admitFirst reads the browser's first request, before an agent is
// started for it, and asks o.Admit about a helper.hello. A refusal is
// answered here and returned as a *refusedError; otherwise the frame is
// returned to be relayed first.
func admitFirst(o Options, extension string, out io.Writer, log zerolog.Logger) ([]byte, error) {
	if o.Admit == nil {
		return nil, nil
	}
	p, err := nativemsg.NewReader(o.Stdin).ReadFrame()
	if err != nil {
		return nil, &inputError{err} // nothing to start an agent for
	}
	msg, _, derr := jsonrpc.Decode(p)
	if derr != nil || !msg.IsRequest() || msg.Method != "helper.hello" {
		return p, nil // the agent answers it
	}
	var hello struct {
		PageOrigin string `json:"pageOrigin"`
	}
	_ = json.Unmarshal(msg.Params, &hello) // malformed: the agent says so
	refusal := o.Admit(extension, hello.PageOrigin)
	if refusal == nil {
		return p, nil
	}
	log.Info().Str("pageOrigin", hello.PageOrigin).Msg("hello refused before starting an agent")
	if err := nativemsg.WriteFrame(out, jsonrpc.ErrorResponse(msg.ID, refusal)); err != nil {
		log.Debug().Err(err).Msg("write to browser")
	}
	return nil, &refusedError{answer: refusal}
}

// refusedError: Admit refused the first request; nothing was started.
type refusedError struct{ answer *jsonrpc.Error }

func (e *refusedError) Error() string { return e.answer.Message }

// inputError: the browser's input ended (or broke) before its first
// request; nothing was started.
type inputError struct{ err error }

func (e *inputError) Error() string { return "read the first request: " + e.err.Error() }

// connect dials the agent; if nobody answers it asks admit (which may
// refuse with an error), starts one and retries until StartTimeout.
func connect(ctx context.Context, o Options, log zerolog.Logger, admit func() error) (net.Conn, error) {
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
	if err := admit(); err != nil {
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
	// The cause (socket paths, user names, errors of the OS) is for
	// BPClient.log only: any page, allowed or not, reads this answer.
	e := jsonrpc.Errorf(jsonrpc.CodeUnavailable, "helper unavailable: the BPClient agent is not running and could not be started; see BPClient.log").
		WithData(map[string]string{"reason": jsonrpc.ReasonAgentUnavailable})
	return answerAll(in, out, e, log)
}

// answerAll answers every request from the browser with e until it closes
// the port.
func answerAll(in io.Reader, out io.Writer, e *jsonrpc.Error, log zerolog.Logger) int {
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
