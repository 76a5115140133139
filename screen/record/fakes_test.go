package record

import (
	"encoding/json"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/openbpclient/bpclient/screen"
)

// fakeScreen is a Grabber of one solid colour that the test changes.
type fakeScreen struct {
	mu            sync.Mutex
	width, height int
	colour        [3]byte // r, g, b
	grabs         int
	fail          error
	clock         clockwork.Clock
	closed        bool
	opens         atomic.Int32
}

func (s *fakeScreen) Grab(f *screen.Frame) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grabs++
	if s.fail != nil {
		return s.fail
	}
	f.Resize(s.width, s.height)
	for i := 0; i < len(f.Pix); i += 4 {
		f.Pix[i], f.Pix[i+1], f.Pix[i+2], f.Pix[i+3] = s.colour[2], s.colour[1], s.colour[0], 0
	}
	f.Time = s.clock.Now()
	return nil
}

func (s *fakeScreen) Close() error { s.mu.Lock(); s.closed = true; s.mu.Unlock(); return nil }

func (s *fakeScreen) set(r, g, b byte) { s.mu.Lock(); s.colour = [3]byte{r, g, b}; s.mu.Unlock() }

func (s *fakeScreen) grabCount() int { s.mu.Lock(); defer s.mu.Unlock(); return s.grabs }

// fakeFrame is what the fake encoder "encodes": the frame's colour,
// size and time, so a test reads back what a segment holds.
type fakeFrame struct {
	R, G, B       byte
	Width, Height int
	Time          time.Time
	Key           bool
	PTS           time.Duration
}

type fakeEncoder struct {
	w, h   int
	frames int
	closed *bool
}

func (e *fakeEncoder) Encode(f *screen.Frame, forceKey bool) ([]byte, bool, error) {
	if f.Width != e.w || f.Height != e.h {
		return nil, false, errors.New("frame size is not the encoder's")
	}
	r, g, b := f.At(0, 0)
	key := forceKey || e.frames == 0
	e.frames++
	data, err := json.Marshal(fakeFrame{R: r, G: g, B: b, Width: f.Width, Height: f.Height, Time: f.Time, Key: key})
	return data, key, err
}

func (e *fakeEncoder) Close() { *e.closed = true }

type fakeSegment struct {
	w      io.Writer
	width  int
	height int
	frames []fakeFrame
}

func (s *fakeSegment) WriteFrame(data []byte, key bool, pts time.Duration) error {
	var f fakeFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	if f.Key != key {
		return errors.New("key flag lost")
	}
	f.PTS = pts
	s.frames = append(s.frames, f)
	return nil
}

func (s *fakeSegment) Close() error {
	return json.NewEncoder(s.w).Encode(s.frames)
}

// fakeSink keeps the segments a recorder hands it.
type fakeSink struct {
	mu    sync.Mutex
	segs  map[int][]fakeFrame
	order []int
	ended bool
}

func (k *fakeSink) Add(id string, n int, data []byte) error {
	var frames []fakeFrame
	if err := json.Unmarshal(data, &frames); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.segs == nil {
		k.segs = map[int][]fakeFrame{}
	}
	k.segs[n] = frames
	k.order = append(k.order, n)
	return nil
}

func (k *fakeSink) End(string) error { k.mu.Lock(); k.ended = true; k.mu.Unlock(); return nil }

func (k *fakeSink) segments() (order []int, segs map[int][]fakeFrame) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]int(nil), k.order...), k.segs
}

// rig is a recorder on fakes and a fake clock.
type rig struct {
	t       *testing.T
	clock   *clockwork.FakeClock
	screen  *fakeScreen
	feed    *Feed
	sink    *fakeSink
	rec     *Recorder
	ticks   chan struct{}
	period  time.Duration
	encSize [][2]int
	states  []string
	mu      sync.Mutex
}

func newRig(t *testing.T, cfg Config, width, height int, scale bool) *rig {
	t.Helper()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	r := &rig{t: t, clock: clock, screen: &fakeScreen{width: width, height: height, clock: clock}, sink: &fakeSink{},
		ticks: make(chan struct{}, 100)}
	if cfg.FPS == 0 {
		cfg.FPS = DefaultFPS
	}
	r.period = time.Second / time.Duration(cfg.FPS)
	r.feed = newFeed(func() (Grabber, error) { r.screen.opens.Add(1); return r.screen, nil }, clock, func() { r.ticks <- struct{}{} })
	t.Cleanup(func() { r.feed.Close() })
	parts := Parts{
		NewEncoder: func(w, h, fps int) (Encoder, error) {
			r.mu.Lock()
			r.encSize = append(r.encSize, [2]int{w, h})
			r.mu.Unlock()
			return &fakeEncoder{w: w, h: h, closed: new(bool)}, nil
		},
		NewSegment: func(w io.Writer, width, height int) (Segment, error) {
			return &fakeSegment{w: w, width: width, height: height}, nil
		},
	}
	if scale {
		parts.Scale = nearestScale
	}
	rec, err := New(Options{Config: cfg, Feed: r.feed, Parts: parts, Sink: r.sink, OnState: func(s State, reason string) {
		r.mu.Lock()
		r.states = append(r.states, string(s)+"/"+reason)
		r.mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.rec = rec
	return r
}

// tick moves the clock n frame periods, each handled by the feed while
// it runs (nobody subscribed: nothing to wait for).
func (r *rig) tick(n int) {
	r.t.Helper()
	advance(r.t, r.clock, r.feed, r.ticks, r.period, n)
}

// advance moves clock n periods, each handled by f's capture while it
// runs; ticks hears each tick handled.
func advance(t *testing.T, clock *clockwork.FakeClock, f *Feed, ticks <-chan struct{}, period time.Duration, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		running := f.running()
		clock.Advance(period)
		if !running {
			continue
		}
		select {
		case <-ticks:
		case <-time.After(10 * time.Second):
			t.Fatal("the feed did not handle a tick")
		}
	}
}

func (r *rig) stateLog() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.states...)
}

// nearestScale is the test's stand-in for screen/capture's Scale.
func nearestScale(dst, src *screen.Frame, maxWidth int) {
	w, h := OutputSize(src.Width, src.Height, maxWidth)
	dst.Resize(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			si := (y*src.Height/h)*src.Stride + (x*src.Width/w)*4
			copy(dst.Pix[y*dst.Stride+x*4:][:4], src.Pix[si:si+4])
		}
	}
}
