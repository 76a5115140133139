package spool

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const manifestName = "manifest.json"

// Manifest is what the uploader needs of one recording. Headers hold the
// page's token: the file is 0600 and no log or event carries them.
type Manifest struct {
	RecordingID string            `json:"recordingId"`
	UploadURL   string            `json:"uploadUrl"`
	Method      string            `json:"method,omitempty"` // POST (default) or PUT
	Headers     map[string]string `json:"headers,omitempty"`
	Created     time.Time         `json:"created"`
	// Ended: no more segments come; once the last is uploaded the
	// recording's folder goes.
	Ended bool `json:"ended,omitempty"`
}

// CheckURL admits an https URL without credentials whose host allow
// admits.
func CheckURL(raw string, allow func(host string) bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("%w: %q is not an absolute URL without credentials", ErrNotAllowed, redactURL(raw))
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("%w: %s is not https", ErrNotAllowed, redactURL(raw))
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if allow == nil || !allow(host) {
		return nil, fmt.Errorf("%w: %s is not on the allow-list", ErrNotAllowed, host)
	}
	return u, nil
}

// redactURL is a URL fit for a log: its query (a signed URL's
// signature) is not.
func redactURL(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i] + "?…"
	}
	if len(raw) > 200 {
		raw = raw[:200] + "…"
	}
	return raw
}

// folderName is a recording's folder: a digest of its id, since the page
// chose the id and it must never become a path.
func folderName(recordingID string) string {
	sum := sha256.Sum256([]byte(recordingID))
	return "r-" + hex.EncodeToString(sum[:10])
}

func readManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", filepath.Base(dir), err)
	}
	if m.RecordingID == "" || folderName(m.RecordingID) != filepath.Base(dir) {
		return nil, fmt.Errorf("manifest %s: recordingId does not match its folder", filepath.Base(dir))
	}
	return &m, nil
}

func writeManifest(dir string, m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, manifestName), data)
}
