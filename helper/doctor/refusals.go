package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/helper/paths"
)

// maxRefusalRecords bounds the refusal log: one entry per origin and
// reason, the most recent first.
const maxRefusalRecords = 20

// refusalRewrite is how often a page refused again and again (reloads)
// rewrites its entry: its count goes up in memory meanwhile.
const refusalRewrite = time.Minute

// RefusalRecord is the last time pages of one origin were refused for
// one reason.
type RefusalRecord struct {
	Origin string `json:"origin"`
	Reason string `json:"reason"` // jsonrpc.ReasonOrigin*
	// CanAsk: the user may allow the domain (not admin-locked).
	CanAsk bool   `json:"canAsk"`
	Count  int    `json:"count"`
	At     string `json:"at"` // RFC 3339
}

// RefusalLog remembers the pages the agent refused, in a small JSON file
// beside BPClient.log, so that `bpclient doctor` and the popup can say
// which page was refused and which domain to allow, also once the page
// is closed. The agent writes it; anyone reads it.
type RefusalLog struct {
	file string
	now  func() time.Time

	mu      sync.Mutex
	written map[string]time.Time // origin+reason: when last written
	pending map[string]int       // origin+reason: refusals not yet written
}

// NewRefusalLog keeps the log in file; now nil means time.Now.
func NewRefusalLog(file string, now func() time.Time) *RefusalLog {
	if now == nil {
		now = time.Now
	}
	return &RefusalLog{file: file, now: now, written: map[string]time.Time{}, pending: map[string]int{}}
}

// DefaultRefusalLogFile is beside BPClient.log.
func DefaultRefusalLogFile() (string, error) {
	dir, err := paths.LogDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "doctor-refusals.json"), nil
}

// Records returns the log, the most recent first, with the refusals
// this process counted but did not write yet; a missing file is an empty
// log.
func (l *RefusalLog) Records() ([]RefusalRecord, error) {
	recs, err := l.read()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, r := range recs {
		recs[i].Count += l.pending[r.Origin+" "+r.Reason]
	}
	return recs, err
}

func (l *RefusalLog) read() ([]RefusalRecord, error) {
	data, err := os.ReadFile(l.file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("refusal log: %w", err)
	}
	var doc struct {
		Refusals []RefusalRecord `json:"refusals"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("refusal log: %w", err)
	}
	return doc.Refusals, nil
}

// Record notes that a page of origin was refused for reason.
func (l *RefusalLog) Record(origin, reason string, canAsk bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	key := origin + " " + reason
	if at, ok := l.written[key]; ok && now.Sub(at) < refusalRewrite {
		l.pending[key]++
		return nil
	}
	old, err := l.read()
	if err != nil {
		old = nil // a damaged log is replaced
	}
	rec := RefusalRecord{Origin: origin, Reason: reason, CanAsk: canAsk, Count: 1 + l.pending[key], At: now.UTC().Format(time.RFC3339)}
	recs := []RefusalRecord{rec}
	for _, r := range old {
		if r.Origin == origin && r.Reason == reason {
			recs[0].Count += r.Count
			continue
		}
		if len(recs) < maxRefusalRecords {
			recs = append(recs, r)
		}
	}
	data, err := json.MarshalIndent(map[string]any{"refusals": recs}, "", "  ")
	if err != nil {
		return fmt.Errorf("refusal log: %w", err)
	}
	if err := writeAtomic(l.file, append(data, '\n')); err != nil {
		return err
	}
	l.written[key] = now
	delete(l.pending, key)
	return nil
}

// refusalWindow is how far back the check looks: older refusals were
// fixed or do not matter any more.
const refusalWindow = 7 * 24 * time.Hour

// RefusalCheck lists the pages refused in the last week and why, with
// the exact domain to allow. A page (view.Origin) hears of its own
// origin only.
func RefusalCheck(log *RefusalLog, now func() time.Time) Check {
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context, view View) []Result {
		res := Result{ID: "pages.refused", Title: "The Agent Desktop page is allowed", Status: OK, Where: log.file}
		recs, err := log.Records()
		if err != nil {
			res.Status, res.Found = Warning, "the record of refused pages cannot be read"
			res.Fix = "Reload the Agent Desktop page, then check again."
			return []Result{res}
		}
		var found, fixes []string
		for _, r := range recs {
			at, err := time.Parse(time.RFC3339, r.At)
			if err != nil || now().Sub(at) > refusalWindow || (view.Origin != "" && r.Origin != view.Origin) {
				continue
			}
			why, fix := refusalText(r)
			times := "once"
			if r.Count > 1 {
				times = fmt.Sprintf("%d times", r.Count)
			}
			found = append(found, fmt.Sprintf("%s was refused %s (%s, last at %s)", r.Origin, why, times, r.At))
			if !slices.Contains(fixes, fix) {
				fixes = append(fixes, fix)
			}
		}
		if len(found) == 0 {
			res.Found = "no page was refused in the last week"
			return []Result{res}
		}
		res.Status = Warning
		res.Found = strings.Join(found, "; ")
		res.Fix = strings.Join(fixes, " ")
		return []Result{res}
	}
}

// refusalText says why a page was refused and how to let it in.
func refusalText(r RefusalRecord) (why, fix string) {
	host := r.Origin
	if u, err := url.Parse(r.Origin); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	switch r.Reason {
	case jsonrpc.ReasonOriginNotHTTPS:
		return "because it is not served over https", "Open the Agent Desktop at its https:// address (https://" + host + ")."
	case jsonrpc.ReasonOriginNotAllowed:
		if !r.CanAsk {
			return "because " + host + " is not on the allow-list, which your administrator manages",
				"Ask IT to add " + host + " to BPClient's administrator policy."
		}
		return "because " + host + " is not on the allow-list",
			"If " + host + " is your company's Agent Desktop, allow it in the BPClient popup or with: bpclient policy allow " + host
	}
	return "because its address is not valid", "Open the Agent Desktop from its usual address."
}
