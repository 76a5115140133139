package screenproxy

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/doctor"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/nativemsg"
)

// ReasonWorkerFailed ends what ran in a worker that died
// (screen.record.state stopped, screen.monitor.state and
// screen.view.state ended): docs/API.md.
const ReasonWorkerFailed = "worker-failed"

// Events is what the proxy needs of the agent to publish the worker's
// events; *agent.Server is one.
type Events interface {
	agent.SessionSender
	agent.AudienceBroadcaster
}

// Options configure the proxy.
type Options struct {
	// Program is the worker's executable; "" when it is not installed
	// (Missing says why): every method then answers unavailable.
	Program string
	Missing error
	// Args and Env are given to the worker (Env after the agent's own).
	Args []string
	Env  []string
	// Events publish the worker's events.
	Events Events
	Logger zerolog.Logger
	// LogLine takes one of the worker's log lines (its stderr, JSON
	// lines of BPClient.log); nil: they are logged at debug.
	LogLine func(line []byte)
	// SpoolDir is the upload spool's folder: at Start, and when a worker
	// dies, a spool that holds segments starts a worker to upload them.
	SpoolDir string
	// Probe says whether this desktop can be recorded while no worker
	// runs (screen.status, helper.status, the capabilities); nil: it can.
	Probe func() doctor.ScreenAvailability
	// StartTimeout bounds a worker's start up to its ready message.
	StartTimeout time.Duration
}

// Proxy is the agent's side of the screen worker.
type Proxy struct {
	o   Options
	log zerolog.Logger

	probe struct {
		sync.Mutex
		at  time.Time
		got doctor.ScreenAvailability
	}

	mu      sync.Mutex
	w       *worker
	closed  bool
	inUse   int       // requests on their way to a worker: none is ended for idleness
	noVP8   bool      // the last worker said it has no VP8 (no screen-view)
	crashAt time.Time // when a worker last died
	againAt time.Time // when a worker was last started again for a spool left after its idle end
	recs    map[string]string
	lives   map[string]liveOwner // "monitor:<id>" / "view:<id>"
}

type liveOwner struct {
	event, key, id string
	aud            agent.Audience
}

// worker is one run of the worker process.
type worker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	ready chan struct{}
	done  chan struct{} // closed once it has exited and been waited for

	wmu sync.Mutex // one frame at a time on stdin

	mu       sync.Mutex
	nextID   int64
	pending  map[int64]chan *jsonrpc.Message
	stopping bool // the proxy ended it
	started  time.Time
}

// defaultStartTimeout: a worker is up in well under a second.
const defaultStartTimeout = 15 * time.Second

// stopTimeout bounds a worker's exit once told to end (a recording under
// way spools its last segment first).
const stopTimeout = 10 * time.Second

// New returns the proxy; Start it once the services are registered.
func New(o Options) *Proxy {
	if o.StartTimeout <= 0 {
		o.StartTimeout = defaultStartTimeout
	}
	return &Proxy{o: o, log: o.Logger.With().Str("svc", "screen-proxy").Logger(), recs: map[string]string{}, lives: map[string]liveOwner{}}
}

// Start starts a worker at once when the spool holds segments that an
// earlier agent (or worker) left, so that they upload.
func (p *Proxy) Start() {
	if p.o.Program == "" || !Spooled(p.o.SpoolDir) {
		return
	}
	p.log.Info().Msg("the screen spool holds segments: starting the screen worker to upload them")
	go func() {
		if _, jerr := p.ensure(context.Background()); jerr != nil {
			p.log.Warn().Str("error", jerr.Message).Msg("screen worker for the spool")
		}
	}()
}

// Close ends the worker (a recording under way stops and spools its
// last segment) and waits for it.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	w := p.w
	p.mu.Unlock()
	if w != nil {
		w.stop(p.log)
	}
}

// Running reports whether a worker runs (tests, status).
func (p *Proxy) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.w != nil && !p.w.isStopping()
}

func unavailable(format string, args ...any) *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.CodeScreen, format, args...).WithData(map[string]string{"reason": jsonrpc.ReasonUnavailable})
}

// ensure returns the running worker, starting one if none runs.
func (p *Proxy) ensure(ctx context.Context) (*worker, *jsonrpc.Error) {
	if p.o.Program == "" {
		return nil, unavailable("screen recording and monitoring are unavailable: %v", p.missing())
	}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, unavailable("the agent is stopping")
		}
		w := p.w
		if w != nil && w.isStopping() {
			// An idle worker on its way out: the next one starts after it
			// has gone, so that two never share the spool.
			p.mu.Unlock()
			w.stop(p.log)
			continue
		}
		if w == nil {
			var err error
			if w, err = p.spawn(); err != nil {
				p.mu.Unlock()
				p.log.Error().Err(err).Msg("screen worker did not start")
				return nil, unavailable("the screen worker did not start: %v", err)
			}
			p.w = w
		}
		p.mu.Unlock()
		return p.awaitReady(ctx, w)
	}
}

// awaitReady waits for w's ready message.
func (p *Proxy) awaitReady(ctx context.Context, w *worker) (*worker, *jsonrpc.Error) {
	timer := time.NewTimer(p.o.StartTimeout)
	defer timer.Stop()
	select {
	case <-w.ready:
		return w, nil
	case <-w.done:
		return nil, unavailable("the screen worker exited as it started (BPClient.log says why)")
	case <-timer.C:
		w.kill()
		return nil, unavailable("the screen worker did not answer within %v", p.o.StartTimeout)
	case <-ctx.Done():
		return nil, unavailable("%v", ctx.Err())
	}
}

func (p *Proxy) missing() error {
	if p.o.Missing != nil {
		return p.o.Missing
	}
	return errors.New(Program + " is not installed beside bpclient")
}

// spawn starts a worker; p.mu held.
func (p *Proxy) spawn() (*worker, error) {
	cmd := exec.Command(p.o.Program, p.o.Args...)
	cmd.Env = append(os.Environ(), p.o.Env...)
	hideWindow(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &worker{cmd: cmd, stdin: stdin, ready: make(chan struct{}), done: make(chan struct{}), pending: map[int64]chan *jsonrpc.Message{},
		started: time.Now()}
	p.log.Info().Int("worker", cmd.Process.Pid).Msg("screen worker started")
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		p.logLines(stderr)
	}()
	go func() {
		p.read(w, stdout)
		<-logged
		err := cmd.Wait()
		p.exited(w, err)
	}()
	return w, nil
}

// logLines passes the worker's stderr on, a line at a time.
func (p *Proxy) logLines(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		if p.o.LogLine != nil && json.Valid(line) {
			p.o.LogLine(line)
			continue
		}
		// Not one of its log lines: a library's chatter, a crash's trace.
		p.log.Warn().Str("part", "screen").Str("line", string(line)).Msg("screen worker")
	}
}

// read takes the worker's frames until its stdout ends.
func (p *Proxy) read(w *worker, stdout io.Reader) {
	r := nativemsg.NewReader(stdout)
	for {
		payload, err := r.ReadFrame()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.log.Warn().Err(err).Msg("screen worker's output")
			}
			return
		}
		var msg jsonrpc.Message
		if err := json.Unmarshal(payload, &msg); err != nil {
			p.log.Warn().Err(err).Msg("screen worker sent no JSON-RPC")
			continue
		}
		switch msg.Method {
		case "":
			w.answered(&msg)
		case methodReady:
			var rp readyParams
			_ = json.Unmarshal(msg.Params, &rp)
			p.mu.Lock()
			p.noVP8 = !slices.Contains(rp.Capabilities, "screen-view")
			p.mu.Unlock()
			select {
			case <-w.ready: // said twice: the first stands
			default:
				p.log.Info().Int("worker", w.cmd.Process.Pid).Strs("capabilities", rp.Capabilities).Dur("took", time.Since(w.started)).Msg("screen worker ready")
				close(w.ready)
			}
		case methodEvent:
			var e eventParams
			if err := json.Unmarshal(msg.Params, &e); err == nil {
				p.publish(e)
			}
		case methodIdle:
			p.idle(w)
		}
	}
}

func (w *worker) answered(msg *jsonrpc.Message) {
	id, err := strconv.ParseInt(string(msg.ID), 10, 64)
	if err != nil {
		return
	}
	w.mu.Lock()
	ch := w.pending[id]
	delete(w.pending, id)
	w.mu.Unlock()
	if ch != nil {
		ch <- msg
	}
}

func (w *worker) isStopping() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopping
}

// stop tells the worker to end (its stdin closes) and waits for it,
// killing it after stopTimeout.
func (w *worker) stop(log zerolog.Logger) {
	w.mu.Lock()
	w.stopping = true
	w.mu.Unlock()
	_ = w.stdin.Close()
	select {
	case <-w.done:
	case <-time.After(stopTimeout):
		log.Warn().Int("worker", w.cmd.Process.Pid).Msg("screen worker did not end: killed")
		w.kill()
		<-w.done
	}
}

func (w *worker) kill() { _ = w.cmd.Process.Kill() }

// idle ends w when nothing waits on it.
func (p *Proxy) idle(w *worker) {
	p.mu.Lock()
	mine := p.w == w && p.inUse == 0 && len(p.recs) == 0 && len(p.lives) == 0
	p.mu.Unlock()
	w.mu.Lock()
	free := len(w.pending) == 0 && !w.stopping
	if mine && free {
		w.stopping = true
	}
	w.mu.Unlock()
	if mine && free {
		p.log.Info().Int("worker", w.cmd.Process.Pid).Msg("screen worker idle: ending it")
		_ = w.stdin.Close()
	}
}

// exited: w has gone. What it ran ends with ReasonWorkerFailed unless
// the proxy ended it; a spool left with segments starts another.
func (p *Proxy) exited(w *worker, err error) {
	w.mu.Lock()
	stopping := w.stopping
	pending := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, ch := range pending {
		ch <- nil
	}
	p.mu.Lock()
	if p.w == w {
		p.w = nil
	}
	recs, lives := p.recs, p.lives
	p.recs, p.lives = map[string]string{}, map[string]liveOwner{}
	closed := p.closed
	restart := false
	if !stopping {
		restart = !closed && time.Since(p.crashAt) > 30*time.Second
		p.crashAt = time.Now()
	}
	p.mu.Unlock()
	close(w.done)
	if stopping {
		p.log.Info().Int("worker", w.cmd.Process.Pid).AnErr("exit", err).Msg("screen worker ended")
		p.spooledSince(w)
		return
	}
	p.log.Error().Int("worker", w.cmd.Process.Pid).AnErr("exit", err).Int("recordings", len(recs)).Int("live", len(lives)).Msg("screen worker died")
	for id, session := range recs {
		p.o.Events.SendToSession(session, "screen.record.state", map[string]string{"state": "stopped", "recordingId": id, "reason": ReasonWorkerFailed})
	}
	for _, l := range lives {
		p.o.Events.BroadcastTo(l.aud, l.event, map[string]string{"state": "ended", l.key: l.id, "reason": ReasonWorkerFailed})
	}
	if restart && Spooled(p.o.SpoolDir) {
		p.Start()
	}
}

// spooledSince starts a worker again when w, ended for idleness, left
// segments in the spool: ones that came after it loaded the spool (an
// earlier worker, a killed agent's, spooling its last segment as w
// started). At most once in 30 s, so that a spool it cannot take does not
// start one worker after another.
func (p *Proxy) spooledSince(w *worker) {
	if !Spooled(p.o.SpoolDir) {
		return
	}
	p.mu.Lock()
	again := !p.closed && time.Since(p.againAt) > 30*time.Second
	if again {
		p.againAt = time.Now()
	}
	p.mu.Unlock()
	if again {
		p.log.Info().Int("worker", w.cmd.Process.Pid).Msg("segments came into the spool after the idle worker loaded it")
		p.Start()
	}
}

// stateParams are the fields of the state events the proxy follows.
type stateParams struct {
	State       string `json:"state"`
	RecordingID string `json:"recordingId"`
	MonitorID   string `json:"monitorId"`
	ViewID      string `json:"viewId"`
}

// publish sends one of the worker's events, and follows what runs in it
// (to end it if the worker dies).
func (p *Proxy) publish(e eventParams) {
	switch e.Event {
	case "screen.record.state", "screen.monitor.state", "screen.view.state":
		var st stateParams
		if json.Unmarshal(e.Params, &st) == nil {
			p.follow(e, st)
		}
	}
	if e.Session != "" {
		p.o.Events.SendToSession(e.Session, e.Event, e.Params)
		return
	}
	p.o.Events.BroadcastTo(agent.AudienceOf(e.Origin, e.AllPages), e.Event, e.Params)
}

func (p *Proxy) follow(e eventParams, st stateParams) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Event {
	case "screen.record.state":
		if st.State == "stopped" {
			delete(p.recs, st.RecordingID)
		} else if e.Session != "" {
			p.recs[st.RecordingID] = e.Session
		}
	case "screen.monitor.state":
		p.followLive(st.State, liveOwner{event: e.Event, key: "monitorId", id: st.MonitorID, aud: agent.AudienceOf(e.Origin, e.AllPages)})
	case "screen.view.state":
		p.followLive(st.State, liveOwner{event: e.Event, key: "viewId", id: st.ViewID, aud: agent.AudienceOf(e.Origin, e.AllPages)})
	}
}

// followLive: p.mu held.
func (p *Proxy) followLive(state string, l liveOwner) {
	k := l.key + ":" + l.id
	if state == "ended" {
		delete(p.lives, k)
		return
	}
	p.lives[k] = l
}

// call sends a request to w and waits for its answer.
func (w *worker) call(ctx context.Context, method string, params any) (json.RawMessage, *jsonrpc.Error) {
	w.mu.Lock()
	if w.pending == nil {
		w.mu.Unlock()
		return nil, unavailable("the screen worker has stopped")
	}
	w.nextID++
	id := w.nextID
	ch := make(chan *jsonrpc.Message, 1)
	w.pending[id] = ch
	w.mu.Unlock()
	frame, err := jsonrpc.Request(id, method, params)
	if err != nil {
		w.forget(id)
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: %v", err)
	}
	w.wmu.Lock()
	err = nativemsg.WriteFrame(w.stdin, frame)
	w.wmu.Unlock()
	if err != nil {
		w.forget(id)
		return nil, unavailable("the screen worker has stopped: %v", err)
	}
	select {
	case msg := <-ch:
		if msg == nil {
			return nil, unavailable("the screen worker stopped before it answered (BPClient.log says why)")
		}
		if msg.Error != nil {
			return nil, msg.Error
		}
		return msg.Result, nil
	case <-ctx.Done():
		w.forget(id)
		return nil, unavailable("%v", ctx.Err())
	}
}

func (w *worker) forget(id int64) {
	w.mu.Lock()
	if w.pending != nil {
		delete(w.pending, id)
	}
	w.mu.Unlock()
}

// forward is a screen.* method: the worker answers it for c.
func (p *Proxy) forward(method string) agent.Method {
	return func(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
		p.mu.Lock()
		p.inUse++
		p.mu.Unlock()
		defer func() {
			p.mu.Lock()
			p.inUse--
			p.mu.Unlock()
		}()
		w, jerr := p.ensure(ctx)
		if jerr != nil {
			return nil, jerr
		}
		res, jerr := w.call(ctx, method, request{Caller: CallerOf(c), Params: c.Params})
		if jerr != nil {
			return nil, jerr
		}
		return res, nil
	}
}

// running is the worker if one runs and is not on its way out.
func (p *Proxy) running() *worker {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil || p.w.isStopping() {
		return nil
	}
	select {
	case <-p.w.ready:
		return p.w
	default:
		return nil
	}
}

// statusTimeout bounds helper.status's wait on the worker.
const statusTimeout = 3 * time.Second

// workerStatus is a service's status from the running worker, or false.
func (p *Proxy) workerStatus(service string, c *agent.Call) (json.RawMessage, bool) {
	w := p.running()
	if w == nil {
		return nil, false
	}
	sp := statusParams{Service: service}
	if c != nil {
		caller := CallerOf(c)
		sp.Caller = &caller
	}
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	res, jerr := w.call(ctx, methodStatus, sp)
	if jerr != nil {
		return nil, false
	}
	return res, true
}

// probeFor is how long an answer of Probe stands (as the recorder's).
const probeFor = 5 * time.Second

// availability is whether this desktop can be recorded, decided in the
// agent while no worker runs.
func (p *Proxy) availability() doctor.ScreenAvailability {
	if p.o.Program == "" {
		return doctor.ScreenAvailability{Code: doctor.ScreenNoWorker, Reason: p.missing().Error()}
	}
	p.mu.Lock()
	noVP8 := p.noVP8
	p.mu.Unlock()
	if noVP8 {
		return doctor.ScreenAvailability{Code: doctor.ScreenNoEncoder, Reason: "no VP8 encoder in this build"}
	}
	if p.o.Probe == nil {
		return doctor.ScreenAvailability{}
	}
	p.probe.Lock()
	defer p.probe.Unlock()
	if !p.probe.at.IsZero() && time.Since(p.probe.at) < probeFor {
		return p.probe.got
	}
	p.probe.at, p.probe.got = time.Now(), p.o.Probe()
	return p.probe.got
}

// DesktopPause implements desktopapi.ScreenRecorder: the worker's
// recording pauses; with no worker there is none to pause.
func (p *Proxy) DesktopPause() (bool, error) { return p.desktop(methodDesktopPause) }

// DesktopResume implements desktopapi.ScreenRecorder.
func (p *Proxy) DesktopResume() (bool, error) { return p.desktop(methodDesktopResume) }

func (p *Proxy) desktop(method string) (bool, error) {
	w := p.running()
	if w == nil {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	res, jerr := w.call(ctx, method, nil)
	if jerr != nil {
		return false, fmt.Errorf("screen worker: %s", jerr.Message)
	}
	var r desktopResult
	if err := json.Unmarshal(res, &r); err != nil {
		return false, fmt.Errorf("screen worker: %w", err)
	}
	return r.Done, nil
}

// sessionClosed tells the worker that c's session has closed.
func (p *Proxy) sessionClosed(c *agent.Call) {
	w := p.running()
	if w == nil {
		return
	}
	frame, err := jsonrpc.Notification(methodSessionClosed, CallerOf(c))
	if err != nil {
		return
	}
	w.wmu.Lock()
	_ = nativemsg.WriteFrame(w.stdin, frame)
	w.wmu.Unlock()
}
