package screenproxy

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/nativemsg"
)

// Recorder is the desktop API's pause and resume of the recording
// (helper/screenapi's Service is one).
type Recorder interface {
	DesktopPause() (bool, error)
	DesktopResume() (bool, error)
}

// Busy is a service that tells whether it has work under way.
type Busy interface{ Busy() bool }

// Worker serves the screen services in bpclient-screen. It is the
// services' agent: they send their events through it (it is an
// agent.SessionSender and agent.AudienceBroadcaster), and it carries
// them to the agent. Register the services, then Serve.
type Worker struct {
	log zerolog.Logger

	wmu sync.Mutex // one frame at a time on out
	out io.Writer

	mu       sync.Mutex
	services map[string]agent.Service
	methods  map[string]agent.Method
	recorder Recorder
	inFlight int
	lastBusy time.Time
}

// NewWorker returns a worker that writes its frames to out.
func NewWorker(out io.Writer, log zerolog.Logger) *Worker {
	return &Worker{log: log, out: out, services: map[string]agent.Service{}, methods: map[string]agent.Method{}}
}

// Register adds a service: its methods, its status, its capabilities.
func (w *Worker) Register(svc agent.Service) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.services[svc.Name()] = svc
	for name, m := range svc.Methods() {
		w.methods[name] = m
	}
}

// SetRecorder is where the desktop API's pause and resume go.
func (w *Worker) SetRecorder(r Recorder) {
	w.mu.Lock()
	w.recorder = r
	w.mu.Unlock()
}

// SendToSession implements agent.SessionSender. Whether the session is
// open is the agent's to know: it reports true.
func (w *Worker) SendToSession(id string, event string, params any) bool {
	w.event(eventParams{Session: id, Event: event}, params)
	return true
}

// Broadcast implements agent.Broadcaster.
func (w *Worker) Broadcast(event string, params any) { w.BroadcastTo(agent.Everyone(), event, params) }

// BroadcastTo implements agent.AudienceBroadcaster.
func (w *Worker) BroadcastTo(aud agent.Audience, event string, params any) {
	w.event(eventParams{Origin: aud.Origin(), AllPages: aud.AllPages(), Event: event}, params)
}

func (w *Worker) event(e eventParams, params any) {
	raw, err := json.Marshal(params)
	if err != nil {
		w.log.Error().Err(err).Str("event", e.Event).Msg("encode event")
		return
	}
	e.Params = raw
	w.notify(methodEvent, e)
}

func (w *Worker) notify(method string, params any) {
	frame, err := jsonrpc.Notification(method, params)
	if err != nil {
		w.log.Error().Err(err).Str("method", method).Msg("encode notification")
		return
	}
	w.write(frame)
}

func (w *Worker) write(frame []byte) {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if err := nativemsg.WriteFrame(w.out, frame); err != nil {
		w.log.Debug().Err(err).Msg("write to the agent")
	}
}

// Serve answers the agent's requests from in until it ends (the agent
// closed it, or went away) or ctx does, and tells the agent each time
// nothing has been under way for idle. It returns once the requests
// under way have been answered; the caller then closes the services.
func (w *Worker) Serve(ctx context.Context, in io.Reader, idle time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var caps []string
	w.mu.Lock()
	for _, svc := range w.services {
		caps = append(caps, svc.Capabilities()...)
	}
	w.lastBusy = time.Now()
	w.mu.Unlock()
	slices.Sort(caps)
	w.notify(methodReady, readyParams{Capabilities: caps})
	go w.watchIdle(ctx, idle)

	var wg sync.WaitGroup
	defer wg.Wait()
	r := nativemsg.NewReader(in)
	for {
		payload, err := r.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		msg, id, jerr := jsonrpc.Decode(payload)
		if jerr != nil {
			w.write(jsonrpc.ErrorResponse(id, jerr))
			continue
		}
		if msg.IsNotification() {
			w.notification(msg)
			continue
		}
		w.mu.Lock()
		w.inFlight++
		w.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.answer(ctx, msg)
			w.mu.Lock()
			w.inFlight--
			w.lastBusy = time.Now()
			w.mu.Unlock()
		}()
	}
}

func (w *Worker) notification(msg *jsonrpc.Message) {
	if msg.Method != methodSessionClosed {
		return
	}
	var c Caller
	if err := json.Unmarshal(msg.Params, &c); err != nil {
		return
	}
	w.mu.Lock()
	var watchers []agent.SessionWatcher
	for _, svc := range w.services {
		if sw, ok := svc.(agent.SessionWatcher); ok {
			watchers = append(watchers, sw)
		}
	}
	w.mu.Unlock()
	for _, sw := range watchers {
		sw.SessionClosed(c.Call(nil))
	}
}

func (w *Worker) answer(ctx context.Context, msg *jsonrpc.Message) {
	res, jerr := w.dispatch(ctx, msg)
	if jerr != nil {
		w.write(jsonrpc.ErrorResponse(msg.ID, jerr))
		return
	}
	frame, err := jsonrpc.Response(msg.ID, res)
	if err != nil {
		w.write(jsonrpc.ErrorResponse(msg.ID, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: %v", err)))
		return
	}
	w.write(frame)
}

func (w *Worker) dispatch(ctx context.Context, msg *jsonrpc.Message) (any, *jsonrpc.Error) {
	w.mu.Lock()
	m, rec := w.methods[msg.Method], w.recorder
	w.mu.Unlock()
	switch msg.Method {
	case methodStatus:
		var p statusParams
		if jerr := jsonrpc.UnmarshalParams(msg.Params, &p); jerr != nil {
			return nil, jerr
		}
		return w.status(p), nil
	case methodDesktopPause, methodDesktopResume:
		if rec == nil {
			return desktopResult{}, nil
		}
		do := rec.DesktopPause
		if msg.Method == methodDesktopResume {
			do = rec.DesktopResume
		}
		done, err := do()
		if err != nil {
			return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "%v", err)
		}
		return desktopResult{Done: done}, nil
	}
	if m == nil {
		return nil, jsonrpc.Errorf(jsonrpc.CodeMethodNotFound, "method not found: %s", msg.Method)
	}
	var req request
	if jerr := jsonrpc.UnmarshalParams(msg.Params, &req); jerr != nil {
		return nil, jerr
	}
	return m(ctx, req.Caller.Call(req.Params))
}

func (w *Worker) status(p statusParams) any {
	w.mu.Lock()
	svc := w.services[p.Service]
	w.mu.Unlock()
	switch {
	case svc == nil:
		return nil
	case p.Caller == nil:
		return svc.Status()
	}
	if cs, ok := svc.(agent.CallerStatus); ok {
		return cs.StatusFor(p.Caller.Call(nil))
	}
	return svc.Status()
}

// busy reports whether a request or a service has work under way.
func (w *Worker) busy() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.inFlight > 0 {
		return true
	}
	for _, svc := range w.services {
		if b, ok := svc.(Busy); ok && b.Busy() {
			return true
		}
	}
	return false
}

// watchIdle sends methodIdle each time nothing has been under way for
// idle.
func (w *Worker) watchIdle(ctx context.Context, idle time.Duration) {
	tick := time.NewTicker(min(idle/4, 500*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if w.busy() {
				w.mu.Lock()
				w.lastBusy = now
				w.mu.Unlock()
				continue
			}
			w.mu.Lock()
			quiet := now.Sub(w.lastBusy) >= idle
			if quiet {
				w.lastBusy = now
			}
			w.mu.Unlock()
			if quiet {
				w.notify(methodIdle, nil)
			}
		}
	}
}
