package extension

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIDFromKey(t *testing.T) {
	other, err := os.ReadFile(filepath.Join("..", "..", "internal", "testdata", "other-extension-key.pub.b64"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ key, want string }{
		{PublicKey(), ChromiumID},
		{string(other), "globmenbfjbjogcaljnhjmdhogoajckd"},
	} {
		got, err := IDFromKey(tc.key)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("IDFromKey = %s, want %s", got, tc.want)
		}
	}
	if _, err := IDFromKey("not base64!"); err == nil {
		t.Error("IDFromKey accepted a bad key")
	}
}

func TestSourceManifest(t *testing.T) {
	src, err := fs.ReadFile(Files(), "manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ManifestVersion int    `json:"manifest_version"`
		Key             string `json:"key"`
		BSS             struct {
			Gecko struct {
				ID               string `json:"id"`
				StrictMinVersion string `json:"strict_min_version"`
			} `json:"gecko"`
		} `json:"browser_specific_settings"`
		Permissions []string `json:"permissions"`
		Background  struct {
			ServiceWorker string   `json:"service_worker"`
			Scripts       []string `json:"scripts"`
		} `json:"background"`
		ContentScripts []struct {
			Matches []string `json:"matches"`
			JS      []string `json:"js"`
		} `json:"content_scripts"`
		Action struct {
			DefaultPopup string `json:"default_popup"`
		} `json:"action"`
	}
	if err := json.Unmarshal(src, &m); err != nil {
		t.Fatal(err)
	}
	if m.ManifestVersion != 3 {
		t.Errorf("manifest_version = %d", m.ManifestVersion)
	}
	if m.Key != PublicKey() {
		t.Error("manifest key differs from key.pub.b64")
	}
	if m.BSS.Gecko.ID != GeckoID || m.BSS.Gecko.StrictMinVersion != "128.0" {
		t.Errorf("gecko settings = %+v", m.BSS.Gecko)
	}
	if strings.Join(m.Permissions, ",") != "nativeMessaging" {
		t.Errorf("permissions = %v", m.Permissions)
	}
	if m.Background.ServiceWorker != "sw.js" || strings.Join(m.Background.Scripts, ",") != "sw.js" {
		t.Errorf("background = %+v", m.Background)
	}
	if len(m.ContentScripts) != 1 || strings.Join(m.ContentScripts[0].Matches, " ") != "https://*/* http://*/*" {
		t.Errorf("content_scripts = %+v", m.ContentScripts)
	}
	if m.Action.DefaultPopup != "popup.html" {
		t.Errorf("popup = %q", m.Action.DefaultPopup)
	}
	// Every file the manifest names is embedded.
	for _, name := range []string{"sw.js", "content.js", "popup.html", "popup.js", "popup-checks.js", "popup-logs.js", "popup.css",
		"icons/icon-16.png", "icons/icon-32.png", "icons/icon-48.png", "icons/icon-128.png"} {
		if _, err := fs.Stat(Files(), name); err != nil {
			t.Error(err)
		}
	}
	// The host name in the scripts is the one the installer registers.
	sw, _ := fs.ReadFile(Files(), "sw.js")
	if !strings.Contains(string(sw), `"`+HostName+`"`) {
		t.Errorf("sw.js does not name host %s", HostName)
	}
}

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	other := "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAy4KW4nwioXtupOzvGTobLeDU"
	if err := Build(filepath.Join(dir, "c"), Chromium, Options{Key: other, Name: "Other"}); err != nil {
		t.Fatal(err)
	}
	if err := Build(filepath.Join(dir, "f"), Firefox, Options{GeckoID: "other@example.org"}); err != nil {
		t.Fatal(err)
	}
	read := func(p string) map[string]any {
		b, err := os.ReadFile(filepath.Join(dir, p, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	c, f := read("c"), read("f")
	if c["key"] != other || c["name"] != "Other" || c["browser_specific_settings"] != nil {
		t.Errorf("chromium manifest: key=%v name=%v bss=%v", c["key"], c["name"], c["browser_specific_settings"])
	}
	if bg := c["background"].(map[string]any); bg["scripts"] != nil || bg["service_worker"] != "sw.js" {
		t.Errorf("chromium background = %v", bg)
	}
	if f["key"] != nil {
		t.Error("firefox manifest has a key")
	}
	if bg := f["background"].(map[string]any); bg["service_worker"] != nil {
		t.Errorf("firefox background = %v", bg)
	}
	gecko := f["browser_specific_settings"].(map[string]any)["gecko"].(map[string]any)
	if gecko["id"] != "other@example.org" {
		t.Errorf("gecko id = %v", gecko["id"])
	}
	for _, p := range []string{"c/sw.js", "f/content.js", "f/icons/icon-48.png", "c/popup.html"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
	if err := Build(filepath.Join(dir, "x"), "safari", Options{}); err == nil {
		t.Error("Build accepted an unknown browser")
	}
}

func TestPage(t *testing.T) {
	for _, name := range []string{"bpclient.js", "demo.html", "demo.js", "demo.css"} {
		if _, err := fs.Stat(Page(), name); err != nil {
			t.Error(err)
		}
	}
}
