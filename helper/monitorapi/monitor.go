package monitorapi

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/screen/live"
)

// reasonSourceFailed ends a monitoring whose frames stopped coming.
const reasonSourceFailed = "source-failed"

// monitoring is the agent's screen offered to one supervisor. Only one
// runs at a time: the screen is one, a second supervisor would double
// the capture and the upload of an agent's machine, and a page that
// wants to hand over stops the first one.
type monitoring struct {
	s      *Service
	id     string
	owner  owner
	params live.StreamParams
	sender *live.Sender

	ctx    context.Context // ends the stream
	cancel context.CancelFunc
	wg     sync.WaitGroup // the stream

	startOnce, endOnce  sync.Once
	indicator           indicatorHandle
	frames, bytes, keys atomic.Int64 // sent
	paused              atomic.Bool  // the feed is held: nothing sent
}

func (s *Service) monitorOffer(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	var p offerParams
	if err := c.Decode(&p); err != nil {
		return nil, err
	}
	if err := checkID("monitorId", p.MonitorID); err != nil {
		return nil, err
	}
	params, err := live.StreamParams{FPS: p.FPS, MaxWidth: p.MaxWidth}.Normalize()
	if err != nil {
		return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: %v", err)
	}
	if s.opts.Source == nil {
		return nil, screenErr(jsonrpc.ReasonUnavailable, "screen monitoring is unavailable: %s", why(s.opts.SourceUnavailable, "no screen source in this build"))
	}
	if c, ok := s.opts.Source.(live.Checker); ok {
		if err := c.Check(); err != nil {
			return nil, screenErr(jsonrpc.ReasonUnavailable, "screen monitoring is unavailable: %v", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, screenErr(jsonrpc.ReasonUnavailable, "screen monitoring is unavailable: the agent is stopping")
	}
	if s.monitor != nil {
		return nil, screenErr(jsonrpc.ReasonBusy, "the screen is already being watched: one supervisor at a time (stop that monitoring first)")
	}
	m := &monitoring{s: s, id: p.MonitorID, owner: ownerOf(c), params: params}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.sender, err = live.NewSender(live.SenderOptions{ICE: s.opts.ICE, OnCandidate: m.onCandidate, OnState: m.onState})
	if err != nil {
		m.cancel()
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: start monitoring: %v", err)
	}
	sdp, err := m.sender.Offer()
	if err != nil {
		m.cancel()
		_ = m.sender.Close()
		return nil, liveErr("offer", err)
	}
	s.monitor = m
	s.log.Info().Str("monitor", m.id).Str("origin", m.owner.origin).Int("fps", params.FPS).Int("maxWidth", params.MaxWidth).Msg("screen monitoring offered")
	return sdpResult{SDP: sdp}, nil
}

// lookupMonitor returns the monitoring with id if c may act on it.
func (s *Service) lookupMonitor(c *agent.Call, id string) (*monitoring, *jsonrpc.Error) {
	if err := checkID("monitorId", id); err != nil {
		return nil, err
	}
	s.mu.Lock()
	m := s.monitor
	s.mu.Unlock()
	if m == nil || m.id != id || !m.owner.admits(c) {
		return nil, screenErr(jsonrpc.ReasonNoSuchMonitor, "no screen monitoring %q", id)
	}
	return m, nil
}

func (s *Service) monitorAnswer(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	var p answerParams
	if err := c.Decode(&p); err != nil {
		return nil, err
	}
	m, jerr := s.lookupMonitor(c, p.MonitorID)
	if jerr != nil {
		return nil, jerr
	}
	if err := m.sender.Answer(p.SDP); err != nil {
		return nil, liveErr("answer", err)
	}
	return struct{}{}, nil
}

func (s *Service) monitorCandidate(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	var p monitorCandidateParams
	if err := c.Decode(&p); err != nil {
		return nil, err
	}
	if err := checkCandidate(p.Candidate); err != nil {
		return nil, err
	}
	m, jerr := s.lookupMonitor(c, p.MonitorID)
	if jerr != nil {
		return nil, jerr
	}
	if err := m.sender.AddCandidate(p.Candidate); err != nil {
		return nil, liveErr("candidate", err)
	}
	return struct{}{}, nil
}

func (s *Service) monitorStop(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	var p monitorIDParams
	if err := c.Decode(&p); err != nil {
		return nil, err
	}
	m, jerr := s.lookupMonitor(c, p.MonitorID)
	if jerr != nil {
		return nil, jerr
	}
	m.end(live.ReasonStopped)
	return struct{}{}, nil
}

func (m *monitoring) onCandidate(cand string) {
	m.s.opts.Server.SendToSession(m.owner.session, EventMonitorCandidate, candidateEvent{MonitorID: m.id, Candidate: cand})
}

// onState tells the page; live starts the stream, ended ends the
// monitoring (in a goroutine of its own: pion calls this on its own).
func (m *monitoring) onState(st live.State, reason string) {
	switch st {
	case live.StateEnded:
		go m.end(reason)
		return
	case live.StateLive:
		m.startOnce.Do(m.start)
	}
	m.tell(st, reason)
}

func (m *monitoring) tell(st live.State, reason string) {
	m.s.opts.Server.BroadcastTo(m.owner.audience(), EventMonitorState, stateEvent{State: string(st), MonitorID: m.id, Reason: reason})
}

// start runs the stream until the monitoring ends, and shows the agent
// that it is watched when the policy asks for it.
func (m *monitoring) start() {
	m.s.log.Info().Str("monitor", m.id).Msg("screen monitoring live")
	m.indicator = m.s.showIndicator()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		interval := time.Second / time.Duration(m.params.FPS)
		send := func(frame []byte, key bool) error {
			m.frames.Add(1)
			if key {
				m.keys.Add(1)
			}
			m.bytes.Add(int64(len(frame)))
			return m.sender.WriteFrame(frame, interval)
		}
		var err error
		if pt, ok := m.s.opts.Source.(live.PauseTeller); ok {
			err = pt.StreamWithPauses(m.ctx, m.params, m.sender.KeyframeRequests(), send, m.capturePaused)
		} else {
			err = m.s.opts.Source.Stream(m.ctx, m.params, m.sender.KeyframeRequests(), send)
		}
		if m.ctx.Err() == nil {
			m.s.log.Warn().Err(err).Str("monitor", m.id).Msg("screen source stopped")
			go m.end(reasonSourceFailed)
		}
	}()
}

// end stops the stream and the peer connection, once, and tells the
// page why.
func (m *monitoring) end(reason string) {
	m.endOnce.Do(func() {
		m.cancel()
		m.wg.Wait()
		_ = m.sender.Close()
		m.indicator.close()
		m.s.mu.Lock()
		if m.s.monitor == m {
			m.s.monitor = nil
		}
		m.s.mu.Unlock()
		m.s.log.Info().Str("monitor", m.id).Str("reason", reason).Msg("screen monitoring ended")
		m.tell(live.StateEnded, reason)
	})
}

// capturePaused tells the page that the screen is private (a recording
// paused: PCI) and nothing is sent, and when it is sent again; the page
// relays it to the supervisor's, whose viewer keeps the last picture.
func (m *monitoring) capturePaused(paused bool) {
	m.paused.Store(paused)
	m.s.log.Info().Str("monitor", m.id).Bool("paused", paused).Msg("screen monitoring paused with the recording")
	if paused {
		m.tell(live.StatePaused, live.ReasonPaused)
	} else {
		m.tell(live.StateLive, live.ReasonResumed)
	}
}
