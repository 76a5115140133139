package support

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/openbpclient/bpclient/helper/doctor"
)

// maxLogRead bounds what is read of one log file: lumberjack rotates at
// 10 MB, so only a file someone else wrote to is bigger, and its tail is
// what matters.
const maxLogRead = 64 << 20

// LogFiles returns the log at path and its rotated copies (lumberjack's
// "BPClient-2006-01-02T15-04-05.000.log" beside it), newest first,
// leaving out copies last written before since.
func LogFiles(path string, since time.Time) ([]string, error) {
	dir, base := filepath.Split(path)
	ext := filepath.Ext(base)
	prefix := strings.TrimSuffix(base, ext) + "-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("log folder: %w", err)
	}
	var rotated []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, prefix) && strings.HasSuffix(n, ext) {
			if info, err := e.Info(); err == nil && !info.ModTime().Before(since) {
				rotated = append(rotated, n)
			}
		}
	}
	// The timestamp in the name sorts as text.
	slices.Sort(rotated)
	slices.Reverse(rotated)
	files := []string{}
	if _, err := os.Stat(path); err == nil {
		files = append(files, path)
	}
	for _, n := range rotated {
		files = append(files, filepath.Join(dir, n))
	}
	return files, nil
}

// AddLogs adds the log files (newest first, as LogFiles lists them) under
// logs/, each without its lines from before since. When the limit is
// reached the newest lines are kept: the file that reaches it is cut,
// and older files are noted missing.
func (b *Bundle) AddLogs(files []string, since time.Time) {
	full := false
	for _, f := range files {
		name := "logs/" + filepath.Base(f)
		if full {
			b.Missing(name, fmt.Errorf("left out: the bundle reached its limit of %d bytes", b.limit))
			continue
		}
		data, err := readTail(f, maxLogRead)
		if err != nil {
			b.Missing(name, err)
			continue
		}
		lines := splitLines(data)
		lines, older := linesSince(lines, since)
		text := b.scrub.Scrub(strings.Join(lines, ""))
		cut, err := b.addTail(name, text, older)
		if err != nil {
			b.Missing(name, err)
		}
		full = cut || err != nil
	}
}

// addTail adds text, or as many of its last lines as fit. It reports
// whether lines were cut.
func (b *Bundle) addTail(name, text string, older int) (cut bool, err error) {
	note := ""
	if older > 0 {
		note = fmt.Sprintf("%d lines before --since left out", older)
	}
	data := []byte(text)
	dropped := 0
	for try := 0; try < 8; try++ {
		packed, err := b.compress(data)
		if err != nil {
			return false, err
		}
		room := b.room(name)
		if int64(len(packed)) <= room {
			if dropped > 0 {
				note = strings.TrimPrefix(note+fmt.Sprintf("; the oldest %d lines left out to stay within the limit", dropped), "; ")
			}
			return dropped > 0, b.addPacked(name, data, packed, note)
		}
		if room <= 0 {
			break
		}
		// Keep the share of the text that should fit, a little less
		// each try, from a line's start.
		keep := int(float64(len(data)) * float64(room) / float64(len(packed)) * (0.95 - 0.1*float64(try)))
		if keep <= 0 {
			break
		}
		from := len(data) - keep
		if i := bytes.IndexByte(data[from:], '\n'); i >= 0 {
			from += i + 1
		}
		dropped += bytes.Count(data[:from], []byte{'\n'})
		data = data[from:]
	}
	return true, fmt.Errorf("%s: %w", name, ErrTooBig)
}

// readTail reads the last max bytes of path, from a line's start (the
// doctor's reader: both read the tail of BPClient.log).
func readTail(path string, max int64) ([]byte, error) { return doctor.ReadLogTail(path, max) }

// splitLines splits data after each newline, keeping them.
func splitLines(data []byte) []string {
	s := string(data)
	lines := strings.SplitAfter(s, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	return lines
}

// linesSince drops the lines whose "time" is before since. A line without
// a readable time goes with the line before it.
func linesSince(lines []string, since time.Time) (kept []string, older int) {
	if since.IsZero() {
		return lines, 0
	}
	keep := true
	for _, l := range lines {
		if t, ok := lineTime(l); ok {
			keep = !t.Before(since)
		}
		if keep {
			kept = append(kept, l)
		} else {
			older++
		}
	}
	return kept, older
}

// lineTime is the "time" of one of BPClient.log's JSON lines, found
// without decoding the line: a bundle reads tens of megabytes of them.
func lineTime(line string) (time.Time, bool) {
	const key = `"time":"`
	i := strings.Index(line, key)
	if i < 0 || !strings.HasPrefix(line, "{") {
		return time.Time{}, false
	}
	rest := line[i+len(key):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, rest[:j])
	return t, err == nil
}
