package support

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBundleStaysWithinItsLimit: logs much larger than the limit are cut
// from their oldest lines, the newest line is kept, older files are noted
// missing, and the zip is at most the limit.
func TestBundleStaysWithinItsLimit(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	rnd := rand.New(rand.NewPCG(7, 7))
	write := func(name string, lines int, last string) {
		var b bytes.Buffer
		for i := 0; i < lines; i++ {
			fmt.Fprintf(&b, `{"time":"%s","n":%d,"noise":"%x"}`+"\n", now.Add(-time.Hour).Format(time.RFC3339Nano), i, rnd.Uint64())
		}
		b.WriteString(last + "\n")
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("BPClient.log", 20000, `{"time":"`+now.Format(time.RFC3339Nano)+`","msg":"the newest line"}`)
	write("BPClient-2026-12-03T11-00-00.000.log", 1000, "{}")
	files, err := LogFiles(filepath.Join(dir, "BPClient.log"), now.Add(-24*time.Hour))
	if err != nil || len(files) != 2 {
		t.Fatalf("files %v, %v", files, err)
	}
	var out bytes.Buffer
	const limit = 128 << 10
	b := NewBundle(&out, limit, Scrubber{}, now)
	b.AddJSON("small.json", map[string]int{"a": 1})
	b.AddLogs(files, now.Add(-24*time.Hour))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if out.Len() > limit {
		t.Errorf("zip of %d bytes, limit %d", out.Len(), limit)
	}
	zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		got[f.Name] = buf.String()
	}
	if !strings.HasSuffix(got["logs/BPClient.log"], "the newest line\"}\n") {
		t.Errorf("the newest line is gone")
	}
	m := got["MANIFEST.json"]
	if !strings.Contains(m, "lines left out to stay within the limit") || !strings.Contains(m, "BPClient-2026-12-03T11-00-00.000.log") {
		t.Errorf("manifest:\n%s", m)
	}
}

// TestLinesSince: lines before since go, with the continuation lines that
// follow them.
func TestLinesSince(t *testing.T) {
	lines := []string{`{"time":"2026-12-03T10:00:00.000Z"}` + "\n", "continued\n", `{"time":"2026-12-03T12:00:00.000Z"}` + "\n", "more\n"}
	kept, older := linesSince(lines, time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC))
	if older != 2 || len(kept) != 2 || kept[1] != "more\n" {
		t.Errorf("kept %q, older %d", kept, older)
	}
}

// FuzzLineTime: any line parses or not without panicking, and a time it
// finds is the one written after "time".
func FuzzLineTime(f *testing.F) {
	f.Add(`{"time":"2026-12-03T10:00:00.000Z","msg":"x"}`)
	f.Add(`{"time":"`)
	f.Fuzz(func(t *testing.T, line string) {
		if tm, ok := lineTime(line); ok && !strings.Contains(line, tm.Format("2006-01-02")) {
			t.Errorf("%q: time %v", line, tm)
		}
	})
}
