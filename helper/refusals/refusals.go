// Package refusals records the page origins the helper refused, and
// why, in a small JSON file beside BPClient.log: the agent and
// bpclient-host (which refuses most of them, before any agent starts)
// write it, and the doctor's pages.refused check reads it, so that
// support can say which domain to allow also once the page is closed.
package refusals

import (
	"fmt"
	"sync"
	"time"

	"github.com/openbpclient/bpclient/helper/statefile"
)

// maxRecords bounds the refusal log: one entry per origin and
// reason, the most recent first.
const maxRecords = 20

// rewriteEvery is how often a page refused again and again (reloads)
// rewrites its entry: its count goes up in memory meanwhile.
const rewriteEvery = time.Minute

// Record is the last time pages of one origin were refused for
// one reason.
type Record struct {
	Origin string `json:"origin"`
	Reason string `json:"reason"` // jsonrpc.ReasonOrigin*
	// CanAsk: the user may allow the domain (not admin-locked).
	CanAsk bool   `json:"canAsk"`
	Count  int    `json:"count"`
	At     string `json:"at"` // RFC 3339
}

// Log remembers the pages the agent refused, in a small JSON file
// beside BPClient.log, so that `bpclient doctor` and the popup can say
// which page was refused and which domain to allow, also once the page
// is closed. The agent writes it; anyone reads it.
type Log struct {
	file string
	now  func() time.Time

	mu      sync.Mutex
	written map[string]time.Time // origin+reason: when last written
	pending map[string]int       // origin+reason: refusals not yet written
}

// New keeps the log in file; now nil means time.Now.
func New(file string, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{file: file, now: now, written: map[string]time.Time{}, pending: map[string]int{}}
}

// DefaultFile is beside BPClient.log.
func DefaultFile() (string, error) { return statefile.Beside("doctor-refusals.json") }

// Records returns the log, the most recent first, with the refusals
// this process counted but did not write yet; a missing file is an empty
// log.
func (l *Log) Records() ([]Record, error) {
	recs, err := l.read()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, r := range recs {
		recs[i].Count += l.pending[r.Origin+" "+r.Reason]
	}
	return recs, err
}

func (l *Log) read() ([]Record, error) {
	var doc struct {
		Refusals []Record `json:"refusals"`
	}
	if _, err := statefile.Read(l.file, &doc); err != nil {
		return nil, fmt.Errorf("refusal log: %w", err)
	}
	return doc.Refusals, nil
}

// Add notes that a page of origin was refused for reason.
func (l *Log) Add(origin, reason string, canAsk bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	key := origin + " " + reason
	if at, ok := l.written[key]; ok && now.Sub(at) < rewriteEvery {
		l.pending[key]++
		return nil
	}
	old, err := l.read()
	if err != nil {
		old = nil // a damaged log is replaced
	}
	rec := Record{Origin: origin, Reason: reason, CanAsk: canAsk, Count: 1 + l.pending[key], At: now.UTC().Format(time.RFC3339)}
	recs := []Record{rec}
	for _, r := range old {
		if r.Origin == origin && r.Reason == reason {
			recs[0].Count += r.Count
			continue
		}
		if len(recs) < maxRecords {
			recs = append(recs, r)
		}
	}
	if err := statefile.Write(l.file, map[string]any{"refusals": recs}); err != nil {
		return fmt.Errorf("refusal log: %w", err)
	}
	l.written[key] = now
	delete(l.pending, key)
	return nil
}

// File is where the log is kept.
func (l *Log) File() string { return l.file }
