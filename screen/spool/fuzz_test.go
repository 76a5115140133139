package spool

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCheckURL: whatever a page sends, an accepted URL is https, without
// credentials, on an allowed host.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://127.0.0.1/u", "http://127.0.0.1/u", "https://u:p@127.0.0.1/", "https://127.0.0.1./x?y#z",
		"HTTPS://127.0.0.1:443/", "https://[::1]/", "https://127.0.0.1%2f@evil/", "//127.0.0.1/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := CheckURL(raw, allowLoopback)
		if err != nil {
			return
		}
		again, perr := url.Parse(u.String())
		if perr != nil || again.Scheme != "https" || again.User != nil || strings.TrimSuffix(strings.ToLower(again.Hostname()), ".") != "127.0.0.1" {
			t.Fatalf("accepted %q as %v", raw, u)
		}
	})
}

// FuzzReadManifest: a manifest file of any content is read or refused,
// never taken for another recording's folder.
func FuzzReadManifest(f *testing.F) {
	f.Add(`{"recordingId":"a","uploadUrl":"https://127.0.0.1/","headers":{"Authorization":"x"}}`, "a")
	f.Add(`{"recordingId":"b"}`, "a")
	f.Add(`{"recordingId":""}`, "")
	f.Add(`[`, "a")
	f.Fuzz(func(t *testing.T, content, folderOf string) {
		dir := filepath.Join(t.TempDir(), folderName(folderOf))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, manifestName), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := readManifest(dir)
		if err == nil && (m.RecordingID == "" || m.RecordingID != folderOf) {
			t.Fatalf("manifest of %q read for the folder of %q", m.RecordingID, folderOf)
		}
	})
}
