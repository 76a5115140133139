package support

import (
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/statefile"
)

// HistoryFileName is the file beside BPClient.log that keeps the last
// calls' summaries across agent restarts, so that a bundle collected
// after a restart (or a crash) still shows them. It names the numbers
// called: statefile keeps it 0600 in a 0700 folder.
const HistoryFileName = "support-history.json"

// DefaultHistoryFile is HistoryFileName in the agent's state folder.
func DefaultHistoryFile() (string, error) { return statefile.Beside(HistoryFileName) }

// savedHistory is the file's content: at most maxCalls calls, without
// their samples (an hour of reports each would be rewritten at every
// change).
type savedHistory struct {
	Calls []CallHistory `json:"calls"`
}

// OpenHistory returns a history on clock now (nil: time.Now) that keeps
// its calls' summaries in file, starting with the calls file holds; a
// write that fails is logged to log. An unreadable file is reported with
// a history that starts empty and replaces it at the next call.
func OpenHistory(file string, now func() time.Time, log zerolog.Logger) (*History, error) {
	h := NewHistory(now)
	h.file, h.log = file, log
	var saved savedHistory
	if _, err := statefile.Read(file, &saved); err != nil {
		return h, fmt.Errorf("support history %s: %w", HistoryFileName, err)
	}
	if n := len(saved.Calls); n > maxCalls {
		saved.Calls = saved.Calls[n-maxCalls:]
	}
	for _, c := range saved.Calls {
		if c.CallID == "" {
			continue
		}
		c.Samples, c.DroppedSamples, c.Restored = []QualitySample{}, 0, true
		if c.Ended == nil {
			c.EndReason = "the agent stopped during the call"
		}
		h.calls = append(h.calls, &c)
	}
	return h, nil
}

// save writes the calls' summaries when the history has a file. Writes
// of concurrent changes are ordered by generation: an older one never
// replaces a newer one. A failed write is retried at the next change.
func (h *History) save() {
	if h.file == "" {
		return
	}
	h.saveMu.Lock()
	defer h.saveMu.Unlock()
	h.mu.Lock()
	gen := h.gen
	saved := savedHistory{Calls: make([]CallHistory, 0, len(h.calls))}
	for _, c := range h.calls {
		cc := copyCall(c)
		cc.Samples, cc.DroppedSamples, cc.Restored = nil, 0, false
		saved.Calls = append(saved.Calls, cc)
	}
	h.mu.Unlock()
	if gen <= h.saved {
		return
	}
	if err := statefile.Write(h.file, saved); err != nil {
		h.log.Warn().Err(err).Msg("support history not saved; it is kept in memory")
		return
	}
	h.saved = gen
}
