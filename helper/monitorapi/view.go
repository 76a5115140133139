package monitorapi

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/screen"
	"github.com/openbpclient/bpclient/screen/live"
)

// maxUnacked is how many frame events may wait for the page's
// screen.view.ack: a page that draws slower than the pictures come gets
// fewer of them, rather than a queue that grows (and, once the session's
// send queue is full, a closed session).
const maxUnacked = 2

// maxFrameEventFPS caps the frame events a view sends its page: a 1080p
// JPEG in base64 is a few hundred kB, and every one crosses the native
// messaging pipe to the browser.
const maxFrameEventFPS = 5

// view is the supervisor's helper watching one agent: it answered the
// agent's offer and hands the pictures to the page that started it.
// The pictures go to the page as events rather than to a window of the
// helper's own: the page already shows the agent it is about, and a
// window would need a GUI toolkit per OS that the helper does not have.
type view struct {
	s      *Service
	id     string
	owner  owner
	viewer *live.Viewer
	every  time.Duration // the least time between two frame events

	frames  *frameMailbox
	unacked atomic.Int32   // frame events sent and not acknowledged
	wg      sync.WaitGroup // the frame encoder
	endOnce sync.Once
	last    time.Time // of the last frame handed on; the viewer's goroutine only
}

// viewKey names a view: ids are the page's own, so two origins may use
// the same one without meeting.
func viewKey(origin, id string) string { return origin + "\x00" + id }

func (s *Service) viewStart(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	var p viewStartParams
	if err := c.Decode(&p); err != nil {
		return nil, err
	}
	if err := checkID("viewId", p.ViewID); err != nil {
		return nil, err
	}
	if p.FPS == 0 {
		p.FPS = maxFrameEventFPS
	}
	if p.FPS < 1 || p.FPS > maxFrameEventFPS {
		return nil, jsonrpc.Errorf(jsonrpc.CodeInvalidParams, "invalid params: fps %d is outside 1–%d", p.FPS, maxFrameEventFPS)
	}
	if s.opts.NewDecoder == nil {
		return nil, screenErr(jsonrpc.ReasonUnavailable, "screen viewing is unavailable: %s", why(s.opts.DecoderUnavailable, "no VP8 decoder in this build"))
	}
	o := ownerOf(c)
	key := viewKey(o.origin, p.ViewID)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, screenErr(jsonrpc.ReasonUnavailable, "screen viewing is unavailable: the agent is stopping")
	case s.views[key] != nil:
		return nil, screenErr(jsonrpc.ReasonWrongState, "view %q is already started", p.ViewID)
	case len(s.views) >= s.opts.MaxViews:
		return nil, screenErr(jsonrpc.ReasonBusy, "%d views run already, the most at once", s.opts.MaxViews)
	}
	dec, err := s.opts.NewDecoder()
	if err != nil {
		return nil, screenErr(jsonrpc.ReasonUnavailable, "screen viewing is unavailable: %v", err)
	}
	v := &view{s: s, id: p.ViewID, owner: o, every: time.Second / time.Duration(p.FPS), frames: newFrameMailbox()}
	v.viewer, err = live.NewViewer(live.ViewerOptions{ICE: s.opts.ICE, Decoder: dec, Now: s.opts.Now,
		OnCandidate: v.onCandidate, OnState: v.onState, OnFrame: v.onFrame})
	if err != nil {
		return nil, jsonrpc.Errorf(jsonrpc.CodeInternal, "internal error: start view: %v", err)
	}
	answer, err := v.viewer.Accept(p.SDP)
	if err != nil {
		_ = v.viewer.Close()
		return nil, liveErr("offer", err)
	}
	s.views[key] = v
	v.wg.Add(1)
	go func() { defer v.wg.Done(); v.sendFrames() }()
	s.log.Info().Str("view", v.id).Str("origin", o.origin).Msg("screen view started")
	return sdpResult{SDP: answer}, nil
}

// lookupView returns the view of c's origin with id.
func (s *Service) lookupView(c *agent.Call, id string) (*view, *jsonrpc.Error) {
	if err := checkID("viewId", id); err != nil {
		return nil, err
	}
	s.mu.Lock()
	v := s.views[viewKey(ownerOf(c).origin, id)]
	s.mu.Unlock()
	if v == nil || !v.owner.admits(c) {
		return nil, screenErr(jsonrpc.ReasonNoSuchView, "no screen view %q", id)
	}
	return v, nil
}

func (s *Service) viewCandidate(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	var p viewCandidateParams
	if err := c.Decode(&p); err != nil {
		return nil, err
	}
	if err := checkCandidate(p.Candidate); err != nil {
		return nil, err
	}
	v, jerr := s.lookupView(c, p.ViewID)
	if jerr != nil {
		return nil, jerr
	}
	if err := v.viewer.AddCandidate(p.Candidate); err != nil {
		return nil, liveErr("candidate", err)
	}
	return struct{}{}, nil
}

func (s *Service) viewStop(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	var p viewIDParams
	if err := c.Decode(&p); err != nil {
		return nil, err
	}
	v, jerr := s.lookupView(c, p.ViewID)
	if jerr != nil {
		return nil, jerr
	}
	v.end(live.ReasonStopped)
	return struct{}{}, nil
}

func (s *Service) viewAck(ctx context.Context, c *agent.Call) (any, *jsonrpc.Error) {
	var p viewIDParams
	if err := c.Decode(&p); err != nil {
		return nil, err
	}
	v, jerr := s.lookupView(c, p.ViewID)
	if jerr != nil {
		return nil, jerr
	}
	for { // never below zero: an ack too many is ignored
		n := v.unacked.Load()
		if n == 0 || v.unacked.CompareAndSwap(n, n-1) {
			break
		}
	}
	return struct{}{}, nil
}

func (v *view) onCandidate(cand string) {
	v.s.opts.Server.SendToSession(v.owner.session, EventViewCandidate, candidateEvent{ViewID: v.id, Candidate: cand})
}

func (v *view) onState(st live.State, reason string) {
	if st == live.StateEnded {
		go v.end(reason)
		return
	}
	v.tell(st, reason)
}

func (v *view) tell(st live.State, reason string) {
	v.s.opts.Server.BroadcastTo(v.owner.audience(), EventViewState, stateEvent{State: string(st), ViewID: v.id, Reason: reason})
}

// onFrame runs on the viewer's goroutine: it hands a copy of every
// picture due to the encoder, and drops the rest (rate cap, or the
// encoder still busy with the previous one).
func (v *view) onFrame(f *screen.Frame) {
	now := v.s.opts.Now()
	if (!v.last.IsZero() && now.Sub(v.last) < v.every) || v.unacked.Load() >= maxUnacked {
		return
	}
	f.Time = now
	if v.frames.put(f) {
		v.last = now
	}
}

// sendFrames encodes the pictures handed on and sends them to the page,
// until the view ends.
func (v *view) sendFrames() {
	for {
		f, ok := v.frames.take()
		if !ok {
			return
		}
		jpg, err := encodeFrame(f)
		v.frames.done(f)
		if err != nil {
			v.s.log.Warn().Err(err).Str("view", v.id).Msg("frame not sent")
			continue
		}
		v.unacked.Add(1)
		v.s.opts.Server.SendToSession(v.owner.session, EventViewFrame, frameEvent{ViewID: v.id, Width: f.Width, Height: f.Height, JPEG: jpg, Time: f.Time.UnixMilli()})
	}
}

// end closes the viewer and the encoder, once, and tells the page why.
func (v *view) end(reason string) {
	v.endOnce.Do(func() {
		_ = v.viewer.Close()
		v.frames.close()
		v.wg.Wait()
		v.s.mu.Lock()
		if key := viewKey(v.owner.origin, v.id); v.s.views[key] == v {
			delete(v.s.views, key)
		}
		v.s.mu.Unlock()
		v.s.log.Info().Str("view", v.id).Str("reason", reason).Msg("screen view ended")
		v.tell(live.StateEnded, reason)
	})
}
