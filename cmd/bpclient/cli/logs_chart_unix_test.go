//go:build unix

package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/helper/support"
)

// TestQualityPictureMissingSaysWhy: when bpclient-chart is absent,
// fails, hangs or writes nothing, the bundle has no quality.png and its
// manifest says why. The helpers are shell scripts standing in for a
// broken install.
func TestQualityPictureMissingSaysWhy(t *testing.T) {
	calls := []support.CallHistory{{CallID: "a", Started: time.Now()}}
	for _, tc := range []struct {
		name, script, want string
	}{
		{name: "absent", want: "bpclient-chart is not installed next to bpclient"},
		{name: "fails", script: "cat >/dev/null; echo 'bpclient-chart: bad input: no calls' >&2; exit 2",
			want: "bpclient-chart: exit status 2: bpclient-chart: bad input: no calls"},
		{name: "hangs", script: "exec sleep 30", want: "bpclient-chart: no picture within 300ms"},
		{name: "silent", script: "cat >/dev/null", want: "bpclient-chart: wrote no picture"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chart := chartIn(t.TempDir())
			if tc.script != "" {
				if err := os.WriteFile(chart, []byte("#!/bin/sh\n"+tc.script+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			b := support.NewBundle(&out, 1<<20, support.Scrubber{}, time.Now())
			start := time.Now()
			addQualityPicture(context.Background(), b, chart, calls, 300*time.Millisecond)
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %v to give up", took)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := zipEntry(out.Bytes(), "quality.png"); err == nil {
				t.Error("the bundle has a quality.png")
			}
			missing := manifestMissing(t, out.Bytes())
			if !strings.Contains(missing, tc.want) {
				t.Errorf("manifest's missing entries %s, want %q", missing, tc.want)
			}
		})
	}
}

// TestQualityPictureFromTheHelper: the helper's stdout is the bundle's
// quality.png, and it was given the calls as JSON on stdin.
func TestQualityPictureFromTheHelper(t *testing.T) {
	dir := t.TempDir()
	chart := chartIn(dir)
	got := filepath.Join(dir, "stdin.json")
	if err := os.WriteFile(chart, []byte("#!/bin/sh\ncat >'"+got+"'\nprintf 'PNG-BYTES'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	b := support.NewBundle(&out, 1<<20, support.Scrubber{}, time.Now())
	addQualityPicture(context.Background(), b, chart, []support.CallHistory{{CallID: "call-1", Started: time.Now()}}, 10*time.Second)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if pic := entry(t, out.Bytes(), "quality.png"); pic != "PNG-BYTES" {
		t.Errorf("quality.png is %q", pic)
	}
	var in support.ChartInput
	data, _ := os.ReadFile(got)
	if err := json.Unmarshal(data, &in); err != nil || len(in.Calls) != 1 || in.Calls[0].CallID != "call-1" {
		t.Errorf("the helper's stdin %q (%v)", data, err)
	}
}

func manifestMissing(t *testing.T, bundle []byte) string {
	t.Helper()
	var m struct {
		Missing []struct{ Name, Note string } `json:"missing"`
	}
	if err := json.Unmarshal([]byte(entry(t, bundle, "MANIFEST.json")), &m); err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, e := range m.Missing {
		if e.Name == "quality.png" {
			notes = append(notes, e.Note)
		}
	}
	return strings.Join(notes, "\n")
}

func entry(t *testing.T, bundle []byte, name string) string {
	t.Helper()
	data, err := zipEntry(bundle, name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return data
}

func zipEntry(bundle []byte, name string) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(bundle), int64(len(bundle)))
	if err != nil {
		return "", err
	}
	f, err := zr.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	return string(data), err
}
