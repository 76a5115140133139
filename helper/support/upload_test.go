package support

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpload: the bundle reaches an https server whole, as
// application/zip; a plain http URL is refused before anything is sent;
// a server's refusal is an error that does not repeat the URL's token.
func TestUpload(t *testing.T) {
	zipData := []byte("PK\x03\x04 a bundle")
	path := filepath.Join(t.TempDir(), "bpclient-logs-x.zip")
	if err := os.WriteFile(path, zipData, 0o600); err != nil {
		t.Fatal(err)
	}
	var got []byte
	var ctype string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("token") == "bad" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		got, _ = io.ReadAll(r.Body)
		ctype = r.Header.Get("Content-Type")
	}))
	defer srv.Close()
	if err := Upload(context.Background(), srv.Client(), srv.URL+"/upload?token=good", path); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, zipData) || ctype != "application/zip" {
		t.Errorf("server got %q as %q", got, ctype)
	}
	err := Upload(context.Background(), srv.Client(), srv.URL+"/upload?token=bad", path)
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("refused upload: %v", err)
	}
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("a plain http upload was sent") }))
	defer plain.Close()
	if err := Upload(context.Background(), plain.Client(), plain.URL, path); err == nil {
		t.Error("an http URL was accepted")
	}
	// An unreachable server's error names the URL: its token is scrubbed.
	srv.Close()
	if err := Upload(context.Background(), srv.Client(), srv.URL+"/upload?token=sekrit-token", path); err == nil || strings.Contains(err.Error(), "sekrit-token") {
		t.Errorf("unreachable: %v", err)
	}
}
