package doctor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/openbpclient/bpclient/helper/paths"
)

// maxPageRecords bounds the page log: the pages an agent serves are a
// handful of Agent Desktop origins.
const maxPageRecords = 20

// PageRecord is what the last hello of one page origin asked for.
type PageRecord struct {
	Origin           string `json:"origin"`
	MinHelperVersion string `json:"minHelperVersion"`
	At               string `json:"at"` // RFC 3339
}

// PageLog remembers, per page origin, the minHelperVersion its last
// hello asked for, in a small JSON file, so that `bpclient doctor` can
// say "update required" even once the page and the agent are gone. The
// agent writes it; anyone reads it.
type PageLog struct {
	file string
	now  func() time.Time
	mu   sync.Mutex
}

// NewPageLog keeps the log in file; now nil means time.Now.
func NewPageLog(file string, now func() time.Time) *PageLog {
	if now == nil {
		now = time.Now
	}
	return &PageLog{file: file, now: now}
}

// DefaultPageLogFile is beside BPClient.log.
func DefaultPageLogFile() (string, error) {
	dir, err := paths.LogDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "doctor-pages.json"), nil
}

// Records returns the log, the most recent first; a missing file is an
// empty log.
func (l *PageLog) Records() ([]PageRecord, error) {
	data, err := os.ReadFile(l.file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("page log: %w", err)
	}
	var doc struct {
		Pages []PageRecord `json:"pages"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("page log: %w", err)
	}
	return doc.Pages, nil
}

// Record notes that origin's hello asked for minVersion. The file is
// rewritten only when that changes what it says of the origin or moves
// it to the front, so a page reloading does not write on every hello.
func (l *PageLog) Record(origin, minVersion string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	old, err := l.Records()
	if err != nil {
		old = nil // a damaged log is replaced
	}
	if len(old) > 0 && old[0].Origin == origin && old[0].MinHelperVersion == minVersion {
		return nil
	}
	recs := []PageRecord{{Origin: origin, MinHelperVersion: minVersion, At: l.now().UTC().Format(time.RFC3339)}}
	for _, r := range old {
		if r.Origin != origin && len(recs) < maxPageRecords {
			recs = append(recs, r)
		}
	}
	data, err := json.MarshalIndent(map[string]any{"pages": recs}, "", "  ")
	if err != nil {
		return fmt.Errorf("page log: %w", err)
	}
	return writeAtomic(l.file, append(data, '\n'))
}

// writeAtomic replaces path with data (0600, in a 0700 folder) so that a
// reader never sees half a file.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("page log: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("page log: %w", err)
	}
	defer os.Remove(tmp.Name()) // harmless after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("page log: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("page log: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("page log: %w", err)
	}
	return nil
}
