package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
)

// Headers the spool sets on every upload; a page's headers may not.
const (
	HeaderRecordingID = "X-Recording-Id"
	HeaderSegment     = "X-Segment-Number"
	ContentType       = "video/webm"
)

// outcome is what one upload attempt came to.
type outcome int

const (
	uploaded outcome = iota
	retry
	rejected     // this segment will never be taken
	unauthorized // nor will anything of this recording
	notAllowed
)

// run uploads the oldest segment while there is one, until ctx ends.
func (s *Spool) run(ctx context.Context) {
	attempt := 0
	for {
		g := s.take()
		if g == nil {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
				continue
			}
		}
		out, status, err := s.upload(ctx, g)
		if ctx.Err() != nil {
			s.release(g)
			return
		}
		switch out {
		case uploaded:
			attempt = 0
			s.finish(g)
			s.opts.Events(Event{Kind: EventUploaded, RecordingID: g.rec.m.RecordingID, Segment: g.number, Bytes: g.size, Status: status})
		case rejected:
			attempt = 0
			s.finish(g)
			s.log.Warn().Str("recording", g.rec.m.RecordingID).Int("segment", g.number).Int("status", status).Msg("upload: the server rejected a segment")
			s.opts.Events(Event{Kind: EventDropped, RecordingID: g.rec.m.RecordingID, Segment: g.number, Bytes: g.size, Reason: ReasonRejected, Status: status})
		case unauthorized, notAllowed:
			attempt = 0
			reason := ReasonUnauthorized
			if out == notAllowed {
				reason = ReasonNotAllowed
			}
			n := s.fail(g)
			s.log.Warn().Str("recording", g.rec.m.RecordingID).Int("status", status).Int("discarded", n).Str("reason", reason).Msg("upload: the recording cannot be uploaded")
			s.opts.Events(Event{Kind: EventFailed, RecordingID: g.rec.m.RecordingID, Segment: g.number, Reason: reason, Status: status})
		case retry:
			attempt++
			delay := s.backoff(attempt)
			s.release(g)
			s.log.Info().Err(err).Str("recording", g.rec.m.RecordingID).Int("segment", g.number).Int("attempt", attempt).Dur("retryIn", delay).Msg("upload failed; will retry")
			s.opts.Events(Event{Kind: EventRetry, RecordingID: g.rec.m.RecordingID, Segment: g.number, Bytes: g.size, Status: status, Attempt: attempt, Delay: delay, Err: err})
			select {
			case <-ctx.Done():
				return
			case <-s.opts.Clock.After(delay):
			}
		}
	}
}

// backoff is the wait after attempt failures in a row: doubling from
// MinBackoff up to MaxBackoff, each wait drawn from its upper half so
// that agents cut off together do not come back together.
func (s *Spool) backoff(attempt int) time.Duration {
	d := s.opts.MinBackoff
	for i := 1; i < attempt && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxBackoff)
	j := rand.Float64
	if s.opts.Jitter != nil {
		j = s.opts.Jitter
	}
	return d/2 + time.Duration(j()*float64(d/2))
}

// take marks the oldest segment as in flight.
func (s *Spool) take() *segment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return nil
	}
	s.inFlight = s.queue[0]
	return s.inFlight
}

func (s *Spool) release(*segment) {
	s.mu.Lock()
	s.inFlight = nil
	s.mu.Unlock()
}

// finish takes an uploaded (or rejected) segment off the spool.
func (s *Spool) finish(g *segment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight = nil
	s.dropLocked(g)
}

// fail discards g's recording, and reports how many segments went.
func (s *Spool) fail(g *segment) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight = nil
	g.rec.failed = true
	return s.discardLocked(g.rec)
}

func (s *Spool) upload(ctx context.Context, g *segment) (outcome, int, error) {
	m := g.rec.m
	u, err := CheckURL(m.UploadURL, s.opts.Allow)
	if err != nil {
		return notAllowed, 0, err
	}
	data, err := os.ReadFile(g.path())
	if err != nil {
		// Gone from under us (removed by hand): nothing to retry.
		return rejected, 0, fmt.Errorf("segment %d: %w", g.number, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, m.Method, u.String(), bytes.NewReader(data))
	if err != nil {
		return rejected, 0, fmt.Errorf("segment %d: %w", g.number, err)
	}
	for k, v := range m.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set(HeaderRecordingID, m.RecordingID)
	req.Header.Set(HeaderSegment, strconv.Itoa(g.number))
	resp, err := s.client.Do(req)
	if err != nil {
		// The error names the method and URL, never a header.
		return retry, 0, fmt.Errorf("segment %d: %w", g.number, redactErr(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return classify(resp.StatusCode), resp.StatusCode, fmt.Errorf("segment %d: server answered %d", g.number, resp.StatusCode)
}

// classify sorts a status: what is worth trying again, and what is not.
func classify(status int) outcome {
	switch {
	case status >= 200 && status < 300:
		return uploaded
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return unauthorized
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return retry
	default:
		return rejected
	}
}

// redactErr keeps a url.Error's query (a signed URL's signature) out of
// the log.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redactURL(ue.URL), Err: ue.Err}
	}
	return err
}
