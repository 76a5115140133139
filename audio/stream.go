package audio

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// stream is the machinery shared by Capture and Playback: a goroutine (the
// pump) owns the device stream and moves it when its device goes away;
// between the pump and the user sits a queue of at most two frames.
type stream struct {
	sys   *System
	input bool
	f     Format
	opts  StreamOptions
	frame int

	mu      sync.Mutex
	q       fifo
	stats   Stats
	started bool // playback: the first WritePCM came
	closed  bool
	waiting int // capture: readers waiting in ReadPCM for a frame
	// writerWaits: playback's writer waits for room (it is woken when
	// the device takes a frame; otherwise nobody is signalled).
	writerWaits bool
	read        time.Time // capture: when ReadPCM was last called

	wtimer  *time.Timer   // the writer's wait for room (one writer at a time)
	data    chan struct{} // capture: a frame is ready for a reader waiting in ReadPCM
	space   chan struct{} // playback: room in the queue
	moveReq chan moveRequest
	follow  chan string // the server moved the stream to this device
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func newStream(sys *System, input bool, f Format, o StreamOptions) *stream {
	n := f.Samples()
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &stream{
		wtimer: t,
		sys:    sys, input: input, f: f, opts: o, frame: n,
		// Two frames: the one being handed over and one of slack; the
		// resampler may round a chunk up by a few samples.
		q:       newFIFO(2*n + 8),
		data:    make(chan struct{}, 1),
		space:   make(chan struct{}, 1),
		moveReq: make(chan moveRequest, 4),
		follow:  make(chan string, 4),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// Stats returns a snapshot of the stream's counters and device.
func (s *stream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Format is the stream's format.
func (s *stream) Format() Format { return s.f }

// Done is closed when the stream has ended (Close, or a failure with
// NoMove set).
func (s *stream) Done() <-chan struct{} { return s.done }

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// moveRequest asks the supervisor to leave a device; from says which
// (a request about a device the stream has left already is stale).
type moveRequest struct {
	from, reason string
}

func (s *stream) requestMove(from, reason string) {
	select {
	case s.moveReq <- moveRequest{from, reason}:
	default:
	}
}

func (s *stream) close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.quit)
	})
	<-s.done
	s.sys.forget(s)
}

func (s *stream) readPCM(buf []int16) (int, error) {
	if len(buf) < s.frame {
		return 0, errShortBuffer
	}
	for {
		s.mu.Lock()
		s.read = time.Now()
		if s.q.len() >= s.frame {
			s.q.read(buf[:s.frame])
			s.stats.Frames++
			s.mu.Unlock()
			return s.frame, nil
		}
		if s.closed {
			s.mu.Unlock()
			return 0, ErrClosed
		}
		s.waiting++
		s.mu.Unlock()
		var err error
		select {
		case <-s.data:
		case <-s.quit:
			err = ErrClosed
		case <-s.done:
			err = ErrClosed
		}
		s.mu.Lock()
		s.waiting--
		s.mu.Unlock()
		if err != nil {
			return 0, err
		}
	}
}

// queuePCM queues buf for playing without waiting for the device: a
// writer on a clock of its own (a call's media, whose turn also sends
// the microphone's packet) must not be held by a device that takes its
// audio in bursts of another size (PipeWire's quantum) or has stalled.
// The queue holds up to maxQueued; beyond that the oldest whole frames
// go (Stats.Overruns).
func (s *stream) queuePCM(buf []int16) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	if need := len(buf) - s.q.free(); need > 0 && s.q.size() < s.maxQueued() {
		s.q.grow(min(s.maxQueued(), s.q.size()+(need+s.frame-1)/s.frame*s.frame))
	}
	if need := len(buf) - s.q.free(); need > 0 {
		drop := (min(need, s.q.len()) + s.frame - 1) / s.frame
		s.q.discard(drop * s.frame)
		s.stats.Overruns += uint64(drop)
	}
	n := s.q.write(buf)
	s.started = true
	return n, nil
}

// maxQueued is the most playback audio queuePCM keeps: four frames, room
// for a device that asks for a little more than a frame at a time, and
// whose requests drift against the writer's clock, without dropping any.
func (s *stream) maxQueued() int { return 4*s.frame + 8 }

func (s *stream) writePCM(buf []int16) (int, error) {
	total := 0
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return total, ErrClosed
		}
		n := s.q.write(buf)
		s.started = true
		if len(buf) == n {
			s.mu.Unlock()
			return total + n, nil
		}
		s.writerWaits = true
		s.mu.Unlock()
		buf, total = buf[n:], total+n
		// A running device makes room within a frame. One that does not
		// (stalled, or being replaced) must not hold the writer, which
		// may be a call's receive path: after two frames the oldest
		// queued audio goes instead.
		s.wtimer.Reset(2 * s.f.Frame)
		select {
		case <-s.space:
			s.wtimer.Stop()
		case <-s.wtimer.C:
			s.mu.Lock()
			if need := len(buf) - s.q.free(); need > 0 {
				drop := (min(need, s.q.len()) + s.frame - 1) / s.frame
				s.q.discard(drop * s.frame)
				s.stats.Overruns += uint64(drop)
			}
			s.mu.Unlock()
		case <-s.quit:
			s.wtimer.Stop()
			return total, ErrClosed
		case <-s.done:
			s.wtimer.Stop()
			return total, ErrClosed
		}
	}
}

// deliver queues captured audio, dropping the oldest whole frames when the
// reader is late. A reader that waits in ReadPCM, or read within the
// last maxBurst of audio, is not late, however full the queue: the device
// has handed over several frames in a row before the reader could run
// (PipeWire's pulse server sends three 20 ms frames every 60 ms, and a
// loaded machine may not run the reader between them), and the queue
// grows to hold such a burst (up to maxBurst) instead of dropping one
// frame of every three.
func (s *stream) deliver(pcm []int16) {
	s.mu.Lock()
	reading := s.waiting > 0 || time.Since(s.read) < time.Duration(s.maxBurst()/s.frame)*s.f.Frame
	if need := len(pcm) - s.q.free(); need > 0 && reading && s.q.size()+need <= s.maxBurst() {
		s.q.grow(s.q.size() + (need+s.frame-1)/s.frame*s.frame)
	}
	if need := len(pcm) - s.q.free(); need > 0 {
		drop := (need + s.frame - 1) / s.frame
		s.q.discard(drop * s.frame)
		s.stats.Overruns += uint64(drop)
	}
	s.q.write(pcm)
	// Only a reader waiting in ReadPCM needs waking.
	wake := s.waiting > 0 && s.q.len() >= s.frame
	s.mu.Unlock()
	if wake {
		signal(s.data)
	}
}

// maxBurst is the most capture audio the queue grows to hold for a
// waiting reader: ten frames (200 ms of 20 ms frames).
func (s *stream) maxBurst() int { return 10 * s.frame }

// pump is the state of one device stream: its callback runs on the
// backend's thread. When the device fails, stalls or leaves the list, the
// stream's supervisor opens another and aborts this one.
type pump struct {
	s      *stream
	raw    rawStream
	opened time.Time
	last   atomic.Int64 // ns since opened of the latest callback; 0 before the first
	ready  atomic.Bool
	// restarted: this pump replaced one on the same device that never
	// got going; if it does not either, the stream moves.
	restarted bool
	calls     atomic.Int64
	retired   atomic.Bool // replaced: its backend's events no longer count

	rs    resampler
	rsBuf []int16 // capture: resampled output; playback: a frame's worth at the device rate
	frame []int16 // playback: one frame at the stream's rate
	dq    fifo    // playback: resampled samples waiting for the device
}

func (s *stream) openPump(id string) (*pump, error) {
	p := &pump{s: s, opened: time.Now()}
	var cb callback = p.capture
	if !s.input {
		cb = p.play
		p.frame = make([]int16, s.frame)
	}
	// The callback may run before open returns and the rate is known:
	// until ready it plays silence and drops captured audio.
	raw, err := s.sys.be.open(id, s.input, s.f.Rate, s.frame, func(buf []int16) {
		p.last.Store(int64(time.Since(p.opened)) | 1)
		p.calls.Add(1)
		if r := p.ready.Load(); r {
			cb(buf)
		} else if !s.input {
			clear(buf)
		}
	})
	if err != nil {
		return nil, err
	}
	p.raw = raw
	if es, ok := raw.(eventStream); ok {
		// The backend tells of a killed or moved stream at once, where
		// PortAudio's would only stall.
		es.setEvents(func(ev streamEvent) {
			if p.retired.Load() {
				return
			}
			if ev.gone {
				s.requestMove(raw.deviceID(), ev.reason)
				return
			}
			select {
			case s.follow <- ev.to:
			default:
			}
		})
	}
	if raw.rate() != s.f.Rate {
		devN := int(int64(s.frame) * int64(raw.rate()) / int64(s.f.Rate))
		if s.input {
			p.rs = newResampler(raw.rate(), s.f.Rate)
			p.rsBuf = make([]int16, p.rs.maxOut(2*devN))
		} else {
			p.rs = newResampler(s.f.Rate, raw.rate())
			p.rsBuf = make([]int16, p.rs.maxOut(s.frame))
			p.dq = newFIFO(4*devN + len(p.rsBuf))
		}
	}
	s.mu.Lock()
	s.stats.Device, s.stats.DeviceRate = raw.deviceID(), raw.rate()
	s.mu.Unlock()
	p.ready.Store(true)
	return p, nil
}

// capture runs on the device's thread with captured samples.
func (p *pump) capture(buf []int16) {
	if p.rs == nil {
		p.s.deliver(buf)
		return
	}
	for len(buf) > 0 {
		n := min(len(buf), len(p.rsBuf)/2)
		p.s.deliver(p.rsBuf[:p.rs.process(p.rsBuf, buf[:n])])
		buf = buf[n:]
	}
}

// play runs on the device's thread to fill buf.
func (p *pump) play(buf []int16) {
	if p.rs == nil {
		for len(buf) > 0 {
			n := p.s.takeFrame(buf[:min(len(buf), p.s.frame)])
			buf = buf[n:]
		}
		return
	}
	for p.dq.len() < len(buf) {
		p.s.takeFrame(p.frame)
		p.dq.write(p.rsBuf[:p.rs.process(p.rsBuf, p.frame)])
	}
	p.dq.read(buf)
}

// takeFrame fills buf (at most a frame) from the queue, with silence for
// what is missing, and returns len(buf).
func (s *stream) takeFrame(buf []int16) int {
	s.mu.Lock()
	n := s.q.read(buf)
	if n < len(buf) {
		clear(buf[n:])
		if s.started && !s.closed {
			s.stats.Underruns++
		}
	} else {
		s.stats.Frames++
	}
	wake := s.writerWaits
	s.writerWaits = false
	s.mu.Unlock()
	if wake {
		signal(s.space)
	}
	return len(buf)
}

// stalled reports whether the device has stopped calling back: for
// longer than limit once it runs steadily, or than first while it starts
// (a sound server may take two seconds to get a new stream going, after
// a few callbacks that fill its buffer).
func (p *pump) stalled(limit, first time.Duration) bool {
	if !p.steady() {
		return time.Since(p.opened) > first
	}
	return time.Since(p.opened)-time.Duration(p.last.Load()) > limit
}

// steady reports whether the device has called back for 300 ms of audio.
func (p *pump) steady() bool {
	return time.Duration(p.calls.Load())*p.s.f.Frame >= 300*time.Millisecond
}

// retire aborts a pump's device in the background: a dying device may
// hold its callback thread for seconds.
func (s *stream) retire(p *pump) {
	p.retired.Store(true)
	s.sys.wg.Add(1)
	go func() {
		defer s.sys.wg.Done()
		p.raw.abort()
	}()
}

// supervise owns the stream's life: it replaces the device stream when
// its device stalls or leaves the list, and ends the stream on Close.
func (s *stream) supervise(cur *pump) {
	defer close(s.done)
	defer s.sys.wg.Done()
	tick := time.NewTicker(s.sys.stallCheck)
	defer tick.Stop()
	for cur != nil {
		select {
		case <-s.quit:
			cur.retired.Store(true)
			cur.raw.abort()
			return
		case req := <-s.moveReq:
			if req.from != "" && req.from != cur.raw.deviceID() {
				continue // about a device already left
			}
			cur = s.move(cur, req.reason, nil)
		case to := <-s.follow:
			s.followed(to)
		case <-tick.C:
			if cur.stalled(s.sys.stallLimit, s.sys.firstIOLimit) {
				if !cur.steady() {
					// It never got going (a sound server can be slow
					// to start a stream): try the same device again
					// before giving up on it.
					if p := s.restart(cur); p != nil {
						cur = p
						continue
					}
				}
				cur = s.move(cur, ReasonStalled, errStalled)
			}
		}
	}
}

var errStalled = errors.New("the device stopped responding")

// followed records that the server moved the stream to another device,
// where it stays, and reports it as a move.
func (s *stream) followed(to string) {
	s.mu.Lock()
	from := s.stats.Device
	if from == to {
		s.mu.Unlock()
		return
	}
	s.stats.Device = to
	s.stats.Moves++
	s.mu.Unlock()
	if s.opts.OnMove != nil {
		s.opts.OnMove(Move{Stream: s.opts.Name, Direction: direction(s.input), From: from, To: to, Reason: ReasonServer})
	}
}

// restart reopens a stream's device once; nil when it does not open.
func (s *stream) restart(old *pump) *pump {
	if old.restarted {
		return nil
	}
	s.retire(old)
	p, err := s.openPump(old.raw.deviceID())
	if err != nil {
		return nil
	}
	p.restarted = true
	s.mu.Lock()
	s.stats.Restarts++
	s.mu.Unlock()
	return p
}

// move leaves the current device for the default one, retrying until it
// opens or the stream closes. It returns the new pump, or nil when the
// stream ends.
func (s *stream) move(old *pump, reason string, cause error) *pump {
	from := old.raw.deviceID()
	s.retire(old)
	if s.opts.NoMove {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		return nil
	}
	for {
		p, err := s.openPump("")
		if err == nil {
			s.mu.Lock()
			s.stats.Moves++
			s.mu.Unlock()
			if s.opts.OnMove != nil {
				m := Move{Stream: s.opts.Name, Direction: direction(s.input), From: from, To: p.raw.deviceID(), Reason: reason}
				if cause != nil {
					m.Err = cause.Error()
				}
				s.opts.OnMove(m)
			}
			return p
		}
		if !s.input {
			// Keep a writer moving while no device plays.
			s.mu.Lock()
			s.q.reset()
			s.mu.Unlock()
			signal(s.space)
		}
		select {
		case <-s.quit:
			return nil
		case <-time.After(s.sys.retry):
		}
	}
}
