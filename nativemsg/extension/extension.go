// Package extension holds the BPClient browser extension (one Manifest V3
// source for Chromium and Firefox) and the page-side library bpclient.js
// with its demo Agent Desktop page, and writes per-browser builds.
//
// The source directory itself loads unpacked in both browsers: Chromium
// reads "key" and background.service_worker, Firefox reads
// browser_specific_settings and background.scripts, and each ignores the
// other's members (with a warning). Build writes a clean directory for one
// browser family, which is what stores and tests use.
//
// Like the rest of nativemsg, it imports nothing else of bpclient.
package extension

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	// HostName is the native-messaging host the extension connects to.
	HostName = "org.openbpclient.bpclient"
	// ChromiumID is the extension id that the manifest's key gives.
	ChromiumID = "ohcdnckkmmffiobblhcjgmealjgpgeen"
	// GeckoID is the Firefox add-on id.
	GeckoID = "bpclient@openbpclient.org"
)

// Browser families a build is made for.
const (
	Chromium = "chromium"
	Firefox  = "firefox"
)

//go:embed manifest.json sw.js content.js popup.html popup.js popup-checks.js popup-logs.js popup.css icons/*.png
var files embed.FS

//go:embed page/bpclient.js page/demo.html page/demo.js page/demo.css
var page embed.FS

//go:embed key.pub.b64
var keyB64 string

// Files returns the extension's source files (manifest.json at the root).
func Files() fs.FS { return files }

// Page returns the files an Agent Desktop serves: bpclient.js, and the demo
// page demo.html with demo.js and demo.css.
func Page() fs.FS {
	sub, err := fs.Sub(page, "page")
	if err != nil {
		panic(err) // the embedded tree always has page/
	}
	return sub
}

// PublicKey returns the base64 DER public key that fixes the Chromium id.
func PublicKey() string { return strings.TrimSpace(keyB64) }

// Options change what Build writes. The zero value builds the released
// extension.
type Options struct {
	// Key replaces the manifest's public key (base64 DER SPKI), which
	// changes the Chromium id. Tests use it to build a foreign extension.
	Key string
	// GeckoID replaces the Firefox add-on id.
	GeckoID string
	// Name replaces the extension's name.
	Name string
	// Version replaces the manifest's version.
	Version string
	// OmitKey drops "key" from a Chromium build: the Chrome Web Store
	// assigns the id and refuses manifests that carry a key.
	OmitKey bool
}

// Build writes the extension for browser (Chromium or Firefox) into dir,
// which it creates. Chromium builds keep "key" and the service worker;
// Firefox builds keep browser_specific_settings and background.scripts.
func Build(dir, browser string, o Options) error {
	if browser != Chromium && browser != Firefox {
		return fmt.Errorf("build extension: unknown browser %q", browser)
	}
	manifest, err := Manifest(browser, o)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("build extension: %w", err)
	}
	err = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(path))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		var data []byte
		if path == "manifest.json" {
			data = manifest
		} else if data, err = fs.ReadFile(files, path); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("build extension: %w", err)
	}
	return nil
}

// Manifest returns manifest.json as Build writes it for browser.
func Manifest(browser string, o Options) ([]byte, error) {
	src, err := fs.ReadFile(files, "manifest.json")
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(src, &m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if o.Name != "" {
		m["name"] = o.Name
		m["short_name"] = o.Name
	}
	if o.Version != "" {
		m["version"] = o.Version
	}
	bg, _ := m["background"].(map[string]any)
	switch browser {
	case Chromium:
		delete(m, "browser_specific_settings")
		delete(bg, "scripts")
		if o.Key != "" {
			m["key"] = o.Key
		}
		if o.OmitKey {
			delete(m, "key")
		}
	case Firefox:
		delete(m, "key")
		delete(m, "minimum_chrome_version")
		delete(bg, "service_worker")
		if o.GeckoID != "" {
			bss, _ := m["browser_specific_settings"].(map[string]any)
			gecko, _ := bss["gecko"].(map[string]any)
			if gecko == nil {
				return nil, fmt.Errorf("manifest.json: no browser_specific_settings.gecko")
			}
			gecko["id"] = o.GeckoID
		}
	default:
		return nil, fmt.Errorf("manifest for unknown browser %q", browser)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// IDFromKey returns the Chromium extension id for a base64 DER public key:
// the first 16 bytes of its SHA-256 as hex digits mapped 0-f to a-p.
func IDFromKey(keyBase64 string) (string, error) {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keyBase64))
	if err != nil {
		return "", fmt.Errorf("extension key: %w", err)
	}
	sum := sha256.Sum256(der)
	id := make([]byte, 32)
	for i, b := range sum[:16] {
		id[2*i] = 'a' + b>>4
		id[2*i+1] = 'a' + b&0x0f
	}
	return string(id), nil
}
