// Package spool keeps a screen recording's segments on disk until they
// are uploaded: a bounded, per-user folder (0700, files 0600, each
// written atomically) that survives an agent restart, and one uploader
// that sends the segments over HTTPS in the order they were recorded,
// retrying with exponential back-off and jitter.
//
// Layout: one folder per recording, holding manifest.json (recordingId,
// uploadUrl, the page's headers: a token, so the file is 0600 and never
// logged) and the segments, numbered, as NNNNNNNN.webm. A spool opened
// over a folder that an earlier agent left uploads what it finds there.
package spool

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/rs/zerolog"
)

// Defaults of Options.
const (
	DefaultMaxBytes       = 512 << 20
	DefaultMinBackoff     = time.Second
	DefaultMaxBackoff     = time.Minute
	DefaultRequestTimeout = time.Minute
)

// ErrNotAllowed: the upload URL is not https, or its host is not on the
// allow-list.
var ErrNotAllowed = errors.New("upload url not allowed")

// Options configure a Spool; Dir is required.
type Options struct {
	Dir      string
	MaxBytes int64 // all recordings' segments together; 0: DefaultMaxBytes
	// Client sends the uploads; nil: http.DefaultClient's transport. It
	// is used with redirects refused: a redirect could carry the page's
	// token to another host.
	Client *http.Client
	// Allow says whether an upload may go to host (the agent's policy
	// allow-list); it is asked at Begin and before every upload. nil
	// allows nothing.
	Allow func(host string) bool
	// Events hears what happens to the segments; it is called from the
	// spool's goroutines and must not block. nil: nobody listens.
	Events func(Event)
	Logger zerolog.Logger
	// Clock times the back-off; nil: the wall clock.
	Clock clockwork.Clock
	// Jitter returns a number in [0, 1) that spreads the back-off; nil:
	// math/rand.
	Jitter                 func() float64
	MinBackoff, MaxBackoff time.Duration
	RequestTimeout         time.Duration
}

// Spool is the on-disk queue and its uploader.
type Spool struct {
	opts   Options
	log    zerolog.Logger
	client *http.Client

	mu       sync.Mutex
	recs     map[string]*recording // by recordingId
	queue    []*segment            // oldest first
	bytes    int64
	inFlight *segment
	nextSeq  int64

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// New opens (creating it) the spool folder, queues what an earlier agent
// left in it, and starts the uploader; Close stops it.
func New(o Options) (*Spool, error) {
	if o.Dir == "" {
		return nil, errors.New("spool: no folder")
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Allow == nil {
		o.Allow = func(string) bool { return false }
	}
	if o.Events == nil {
		o.Events = func(Event) {}
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(DefaultMaxBackoff, o.MinBackoff)
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool %s: %w", o.Dir, err)
	}
	// MkdirAll leaves an existing folder's mode alone.
	if err := os.Chmod(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool %s: %w", o.Dir, err)
	}
	s := &Spool{opts: o, log: o.Logger.With().Str("svc", "spool").Logger(), client: noRedirects(o.Client),
		recs: map[string]*recording{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if err := s.load(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { defer close(s.done); s.run(ctx) }()
	return s, nil
}

// Close stops the uploader, an upload under way included; what is not
// uploaded stays on disk for the next spool.
func (s *Spool) Close() {
	s.cancel()
	<-s.done
}

func noRedirects(c *http.Client) *http.Client {
	out := &http.Client{}
	if c != nil {
		*out = *c
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return out
}

func (s *Spool) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Stats is what the spool holds.
type Stats struct {
	Recordings int   `json:"recordings"`
	Segments   int   `json:"segments"`
	Bytes      int64 `json:"bytes"`
	MaxBytes   int64 `json:"maxBytes"`
}

// Stats says what waits for upload.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Recordings: len(s.recs), Segments: len(s.queue), Bytes: s.bytes, MaxBytes: s.opts.MaxBytes}
}

// Pending is how many segments of recordingID wait for upload.
func (s *Spool) Pending(recordingID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, seg := range s.queue {
		if seg.rec.m.RecordingID == recordingID {
			n++
		}
	}
	return n
}
