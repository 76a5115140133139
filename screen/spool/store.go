package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const segmentExt = ".webm"

// recording is one recording's folder.
type recording struct {
	m   *Manifest
	dir string
	seq int64 // order of the recordings: oldest uploads first
	// failed: the server refused the token; nothing more is sent.
	failed bool
}

// segment is one spooled segment.
type segment struct {
	rec    *recording
	number int
	size   int64
}

func (g *segment) path() string {
	return filepath.Join(g.rec.dir, fmt.Sprintf("%08d%s", g.number, segmentExt))
}

// load queues what the folder holds. A recording found there was left by
// an agent that has gone: no more segments come for it.
func (s *Spool) load() error {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("spool %s: %w", s.opts.Dir, err)
	}
	var recs []*recording
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "r-") {
			continue
		}
		dir := filepath.Join(s.opts.Dir, e.Name())
		m, err := readManifest(dir)
		if err != nil {
			s.log.Warn().Err(err).Msg("spool: a recording without a usable manifest is removed")
			_ = os.RemoveAll(dir)
			continue
		}
		m.Ended = true
		recs = append(recs, &recording{m: m, dir: dir})
	}
	slices.SortStableFunc(recs, func(a, b *recording) int { return a.m.Created.Compare(b.m.Created) })
	for _, r := range recs {
		s.nextSeq++
		r.seq = s.nextSeq
		s.recs[r.m.RecordingID] = r
		segs, err := s.scan(r)
		if err != nil {
			return err
		}
		s.queue = append(s.queue, segs...)
		for _, g := range segs {
			s.bytes += g.size
		}
		if len(segs) == 0 {
			s.removeLocked(r)
		}
	}
	if len(s.queue) > 0 {
		s.log.Info().Int("segments", len(s.queue)).Int64("bytes", s.bytes).Msg("spool: resuming the uploads an earlier agent left")
	}
	return nil
}

// scan lists r's segments in order, removing half-written files.
func (s *Spool) scan(r *recording) ([]*segment, error) {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", r.dir, err)
	}
	var out []*segment
	for _, e := range entries {
		name := e.Name()
		if isTemp(name) {
			_ = os.Remove(filepath.Join(r.dir, name))
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(name, segmentExt))
		if !strings.HasSuffix(name, segmentExt) || err != nil || n <= 0 {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, &segment{rec: r, number: n, size: info.Size()})
	}
	slices.SortFunc(out, func(a, b *segment) int { return a.number - b.number })
	return out, nil
}

// Begin starts a recording's folder. The URL must be https and its host
// allowed; a recordingId already in the spool is refused.
func (s *Spool) Begin(m Manifest) error {
	if _, err := CheckURL(m.UploadURL, s.opts.Allow); err != nil {
		return err
	}
	if m.Method == "" {
		m.Method = "POST"
	}
	if m.Method != "POST" && m.Method != "PUT" {
		return fmt.Errorf("spool: upload method %q: want POST or PUT", m.Method)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.recs[m.RecordingID]; dup {
		return fmt.Errorf("spool: recording %q is already spooled", m.RecordingID)
	}
	dir := filepath.Join(s.opts.Dir, folderName(m.RecordingID))
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("spool: %w", err)
	}
	m.Created = s.opts.Clock.Now()
	m.Headers = maps.Clone(m.Headers)
	if err := writeManifest(dir, &m); err != nil {
		_ = os.RemoveAll(dir)
		return fmt.Errorf("spool: manifest: %w", err)
	}
	s.nextSeq++
	s.recs[m.RecordingID] = &recording{m: &m, dir: dir, seq: s.nextSeq}
	return nil
}

// Add spools segment number (1, 2, …) of a recording begun here. When
// the spool would grow past its cap, the oldest segments waiting (of any
// recording) are dropped, each with an EventDropped; a segment larger
// than the whole cap is dropped itself.
func (s *Spool) Add(recordingID string, number int, data []byte) error {
	s.mu.Lock()
	r := s.recs[recordingID]
	if r == nil || r.m.Ended {
		s.mu.Unlock()
		return fmt.Errorf("spool: recording %q is not open", recordingID)
	}
	if r.failed {
		s.mu.Unlock()
		return fmt.Errorf("spool: recording %q: %s", recordingID, ReasonUnauthorized)
	}
	g := &segment{rec: r, number: number, size: int64(len(data))}
	if g.size > s.opts.MaxBytes {
		s.mu.Unlock()
		s.opts.Events(Event{Kind: EventDropped, RecordingID: recordingID, Segment: number, Bytes: g.size, Reason: ReasonSpoolFull})
		return nil
	}
	var dropped []*segment
	for s.bytes+g.size > s.opts.MaxBytes {
		victim := s.oldestIdleLocked()
		if victim == nil {
			break // only the upload under way is left: let it finish
		}
		s.dropLocked(victim)
		dropped = append(dropped, victim)
	}
	s.mu.Unlock()
	for _, v := range dropped {
		s.log.Warn().Str("recording", v.rec.m.RecordingID).Int("segment", v.number).Msg("spool full: oldest segment dropped")
		s.opts.Events(Event{Kind: EventDropped, RecordingID: v.rec.m.RecordingID, Segment: v.number, Bytes: v.size, Reason: ReasonSpoolFull})
	}
	if err := writeFileAtomic(g.path(), data); err != nil {
		return fmt.Errorf("spool: segment %d: %w", number, err)
	}
	s.mu.Lock()
	s.queue = append(s.queue, g)
	slices.SortStableFunc(s.queue, func(a, b *segment) int {
		if a.rec.seq != b.rec.seq {
			return int(a.rec.seq - b.rec.seq)
		}
		return a.number - b.number
	})
	s.bytes += g.size
	s.mu.Unlock()
	s.poke()
	return nil
}

// End says a recording has no more segments: its folder goes once they
// are uploaded.
func (s *Spool) End(recordingID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recs[recordingID]
	if r == nil {
		return nil // uploaded and gone, or discarded
	}
	if r.m.Ended {
		return nil
	}
	r.m.Ended = true
	if !s.hasSegmentsLocked(r) {
		s.removeLocked(r)
		return nil
	}
	if err := writeManifest(r.dir, r.m); err != nil {
		return fmt.Errorf("spool: end %q: %w", recordingID, err)
	}
	return nil
}

func (s *Spool) oldestIdleLocked() *segment {
	for _, g := range s.queue {
		if g != s.inFlight {
			return g
		}
	}
	return nil
}

// dropLocked removes a waiting segment, and its recording's folder when
// that was its last and the recording has ended.
func (s *Spool) dropLocked(g *segment) {
	i := slices.Index(s.queue, g)
	if i < 0 {
		return
	}
	s.queue = slices.Delete(s.queue, i, i+1)
	s.bytes -= g.size
	_ = os.Remove(g.path())
	if g.rec.m.Ended && !s.hasSegmentsLocked(g.rec) {
		s.removeLocked(g.rec)
	}
}

func (s *Spool) hasSegmentsLocked(r *recording) bool {
	return slices.ContainsFunc(s.queue, func(g *segment) bool { return g.rec == r })
}

// removeLocked forgets r and deletes its folder.
func (s *Spool) removeLocked(r *recording) {
	if s.recs[r.m.RecordingID] == r {
		delete(s.recs, r.m.RecordingID)
	}
	_ = os.RemoveAll(r.dir)
}

// discardLocked drops every segment of r and r itself, and reports how
// many segments it dropped.
func (s *Spool) discardLocked(r *recording) int {
	n := 0
	s.queue = slices.DeleteFunc(s.queue, func(g *segment) bool {
		if g.rec != r {
			return false
		}
		s.bytes -= g.size
		n++
		return true
	})
	s.removeLocked(r)
	return n
}
