//go:build linux

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg/extension"
	"github.com/openbpclient/bpclient/version"
)

// The popup's lights (popup.css), as the browser paints them.
const (
	lightGreen = 0x2e7d32
	lightAmber = 0xf9a825
	lightRed   = 0xc62828
)

// TestPopupDoctorChromium: with the real extension, host and agent, a
// page that needs a newer helper makes update.minHelperVersion fail and a
// page of a domain not on the allow-list makes pages.refused warn; the
// popup, opened in a tab, shows them red and amber (by DOM and by the
// screenshot's pixels) with the fix, and the install check green. A page
// asks for the logs and cannot collect them itself; Allow in the popup
// saves a bundle to Downloads and tells the page its name, Deny tells it
// no, and "Collect logs" saves one for the user.
func TestPopupDoctorChromium(t *testing.T) {
	browsertest.NeedChromium(t)
	popupDoctor(t, extension.Chromium, startFixtureChromium)
}

func TestPopupDoctorFirefox(t *testing.T) {
	browsertest.NeedFirefox(t)
	popupDoctor(t, extension.Firefox, startFixtureFirefox)
}

// popupCheck is one check as the popup shows it.
type popupCheck struct {
	ID, Status, Title, Found, Fix string
}

func popupDoctor(t *testing.T, browser string, start func(*fixture, *lockedBuffer) browsertest.Browser) {
	f := newFixture(t, browser)
	b := startLogged(t, f, browser, start)
	defer b.Close()
	allowed := f.srv.URL(browsertest.AllowedDomain, "/demo.html")
	old := f.page(b, allowed+"?minHelperVersion=99.0.0")
	waitState(t, f.ctx, old, "update-required", 0, stateTimeout)
	other := f.page(b, f.srv.URL(browsertest.OtherDomain, "/demo.html"))
	waitState(t, f.ctx, other, "origin-not-allowed", 0, stateTimeout)
	main := f.page(b, allowed)
	waitState(t, f.ctx, main, "connected", 0, stateTimeout)

	// A page may ask for the logs; collecting them is the user's.
	first := pageRequestsLogs(t, f, main)
	for _, m := range []string{"logs.collect", "logs.pending", "logs.deny"} {
		_, rpcErr, err := browsertest.DemoCall(f.ctx, main, m, map[string]any{"requestId": first})
		if err != nil {
			t.Fatal(err)
		}
		if rpcErr == nil || rpcErr.Code != -32001 {
			t.Errorf("%s from the page: %v, want -32001", m, rpcErr)
		}
	}

	popup := f.page(b, b.ExtensionURL("popup.html"))
	checks := popupChecks(t, f, popup)
	want := map[string]string{
		"update.minHelperVersion":     "failed",
		"pages.refused":               "warning",
		"install.manifest." + browser: "ok",
	}
	for id, status := range want {
		c, ok := checks[id]
		if !ok {
			t.Fatalf("the popup shows no check %s; it shows %v", id, checks)
		}
		if c.Status != status {
			t.Errorf("%s: the popup shows %q (%s), want %s", id, c.Status, c.Found, status)
		}
		if c.Title == "" || c.Found == "" {
			t.Errorf("%s: no title or finding in the popup: %+v", id, c)
		}
		if status != "ok" && c.Fix == "" {
			t.Errorf("%s: the popup shows no fix: %+v", id, c)
		}
	}
	if c := checks["update.minHelperVersion"]; !strings.Contains(c.Fix, "99.0.0") || !strings.Contains(c.Found, version.Version) {
		t.Errorf("update check: found %q, fix %q; want the installed %s and the version to install", c.Found, c.Fix, version.Version)
	}
	if c := checks["pages.refused"]; !strings.Contains(c.Found, browsertest.OtherDomain) || !strings.Contains(c.Fix, browsertest.OtherDomain) {
		t.Errorf("refused-pages check: found %q, fix %q; want the refused domain", c.Found, c.Fix)
	}
	if c := checks["install.manifest."+browser]; c.Fix != "" {
		t.Errorf("an ok check shows a fix: %+v", c)
	}
	checkLight(t, f, popup, "update.minHelperVersion", lightRed, lightGreen)
	checkLight(t, f, popup, "pages.refused", lightAmber, lightRed)
	checkLight(t, f, popup, "install.manifest."+browser, lightGreen, lightRed)

	// Allow: the bundle is written and the page hears its name.
	downloads := filepath.Join(f.env.Home, "Downloads")
	from := logLen(t, f.ctx, main)
	clickPopup(t, f, popup, `button[data-logs-allow="`+first+`"]`)
	saved := popupData(t, f, popup, "logsSaved", 90*time.Second)
	e, err := browsertest.WaitLog(f.ctx, main, "event", "logs.collected", from, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		RequestID, FileName, Path string
		Saved, Denied             bool
	}
	if err := e.Decode(&got); err != nil || got.RequestID != first || !got.Saved || got.FileName != saved || got.Path != "" {
		t.Errorf("logs.collected after Allow: %s, want saved %s and no path", e.Data, saved)
	}
	checkSavedBundle(t, filepath.Join(downloads, saved))

	// Deny: the page hears no, and nothing more is written.
	second := pageRequestsLogs(t, f, main)
	if err := popup.Navigate(f.ctx, b.ExtensionURL("popup.html")); err != nil {
		t.Fatal(err)
	}
	from = logLen(t, f.ctx, main)
	clickPopup(t, f, popup, `button[data-logs-deny="`+second+`"]`)
	if denied := popupData(t, f, popup, "logsDenied", stateTimeout); denied != second {
		t.Errorf("the popup denied %q, want %s", denied, second)
	}
	e, err = browsertest.WaitLog(f.ctx, main, "event", "logs.collected", from, stateTimeout)
	if err != nil {
		t.Fatal(err)
	}
	got.Saved, got.Denied = false, false
	if err := e.Decode(&got); err != nil || got.RequestID != second || !got.Denied || got.Saved {
		t.Errorf("logs.collected after Deny: %s, want denied", e.Data)
	}

	// The user's own "Collect logs".
	clickPopup(t, f, popup, `#collect-logs`)
	own := popupData(t, f, popup, "logsSaved", 90*time.Second)
	if own == saved {
		t.Fatalf("Collect logs saved %s again", own)
	}
	checkSavedBundle(t, filepath.Join(downloads, own))
	entries, err := os.ReadDir(downloads)
	if err != nil || len(entries) != 2 {
		t.Errorf("Downloads holds %d files (%v), want the 2 bundles", len(entries), err)
	}
}

// pageRequestsLogs makes the page ask for a support bundle and returns
// the request's id.
func pageRequestsLogs(t *testing.T, f *fixture, p browsertest.Page) string {
	t.Helper()
	raw, rpcErr, err := browsertest.DemoCall(f.ctx, p, "logs.request", nil)
	if err != nil || rpcErr != nil {
		t.Fatalf("logs.request: %v %v", rpcErr, err)
	}
	var r struct{ RequestID, State string }
	if err := json.Unmarshal(raw, &r); err != nil || r.State != "pending" || r.RequestID == "" {
		t.Fatalf("logs.request: %s", raw)
	}
	return r.RequestID
}

// popupChecks waits for the popup's checks and reads them from its DOM.
func popupChecks(t *testing.T, f *fixture, popup browsertest.Page) map[string]popupCheck {
	t.Helper()
	popupData(t, f, popup, "doctorLoaded", 30*time.Second)
	var list []popupCheck
	if err := popup.Eval(f.ctx, `[...document.querySelectorAll("#checks .check")].map((li) => ({
		id: li.dataset.checkId, status: li.dataset.status,
		title: li.querySelector(".title").textContent,
		found: li.querySelector(".found").textContent,
		fix: (li.querySelector(".fix") || {}).textContent || ""}))`, &list); err != nil {
		t.Fatal(err)
	}
	checks := map[string]popupCheck{}
	for _, c := range list {
		checks[c.ID] = c
	}
	return checks
}

// popupData waits until the popup's body carries data-<key> and returns it.
func popupData(t *testing.T, f *fixture, popup browsertest.Page, key string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var v string
		if err := popup.Eval(f.ctx, fmt.Sprintf(`document.body.dataset[%q] || ""`, key), &v); err != nil {
			t.Fatal(err)
		}
		if v != "" {
			return v
		}
		if time.Now().After(deadline) {
			var shown string
			popup.Eval(f.ctx, `document.body.innerText`, &shown)
			t.Fatalf("the popup has no data-%s after %v; it shows:\n%s", key, within, shown)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clickPopup waits for the element and clicks it as the user would.
func clickPopup(t *testing.T, f *fixture, popup browsertest.Page, sel string) {
	t.Helper()
	var found bool
	if err := popup.Eval(f.ctx, `(async () => {
		for (let i = 0; i < 400 && !document.querySelector('`+sel+`'); i++) await new Promise((r) => setTimeout(r, 25));
		return Boolean(document.querySelector('`+sel+`'));
	})()`, &found); err != nil || !found {
		t.Fatalf("the popup has no %s (%v)", sel, err)
	}
	if err := popup.(browsertest.Clicker).Click(f.ctx, sel); err != nil {
		t.Fatal(err)
	}
}

// checkLight screenshots one check of the popup: its light and its edge
// (14 px round, 6 px wide, popup.css) paint at least minLightPixels of
// the status's colour, and none of the colour of another status.
func checkLight(t *testing.T, f *fixture, popup browsertest.Page, id string, want, not uint32) {
	t.Helper()
	const minLightPixels = 200
	sel := `#checks .check[data-check-id="` + id + `"]`
	if err := popup.Eval(f.ctx, `document.querySelector('`+sel+`').scrollIntoView({block: "center"})`, nil); err != nil {
		t.Fatal(err)
	}
	png, err := popup.(browsertest.Screenshotter).Screenshot(f.ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	n, err := browsertest.ColorPixels(png, want, 24)
	if err != nil {
		t.Fatal(err)
	}
	wrong, _ := browsertest.ColorPixels(png, not, 24)
	if dir := os.Getenv("BPCLIENT_TEST_ARTIFACTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, filepath.Base(f.ext)+"-"+strings.ReplaceAll(id, ".", "-")+".png"), png, 0o600)
	}
	if n < minLightPixels || wrong > 0 {
		name := filepath.Join(os.TempDir(), "bpclient-"+strings.ReplaceAll(id, ".", "-")+".png")
		os.WriteFile(name, png, 0o600)
		t.Errorf("check %s: %d pixels are #%06x, %d #%06x; want at least %d and none (screenshot %s)", id, n, want, wrong, not, minLightPixels, name)
	}
}

// checkSavedBundle: the popup's bundle is in Downloads, private, a zip.
func checkSavedBundle(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the saved bundle: %v", err)
	}
	if info.Mode().Perm() != 0o600 || info.Size() < 100 {
		t.Errorf("%s: mode %v, %d bytes; want 0600 and a bundle", filepath.Base(path), info.Mode().Perm(), info.Size())
	}
	data, _ := os.ReadFile(path)
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		t.Errorf("%s is not a zip", filepath.Base(path))
	}
}
