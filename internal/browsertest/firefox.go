package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FirefoxPath is Debian's Firefox ESR.
const FirefoxPath = "/usr/bin/firefox-esr"

// FindFirefox returns the Firefox executable, or an error that says why
// the tests cannot run (BPCLIENT_FIREFOX overrides the path).
func FindFirefox() (string, error) {
	p := os.Getenv("BPCLIENT_FIREFOX")
	if p == "" {
		p = FirefoxPath
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("firefox not found at %s (apt-get install firefox-esr; `make test` installs it): %w", p, err)
	}
	return p, nil
}

// FirefoxOptions configure StartFirefox.
type FirefoxOptions struct {
	Exec   string // executable; "" means FindFirefox
	Env    *Env   // isolated environment (required)
	Addons []FirefoxAddon
	Prefs  map[string]any // extra user.js preferences
	// Profile is the profile folder to use (created when missing); ""
	// makes a fresh one in Env.Root.
	Profile string
	Output  io.Writer // the browser's stdout and stderr; nil discards them
}

// FirefoxAddon is an unpacked extension to install as a temporary add-on.
type FirefoxAddon struct {
	Dir string
	ID  string // its gecko id
	// UUID fixes the add-on's moz-extension:// host so tests can open its
	// pages (extensions.webextensions.uuids).
	UUID string
}

// Firefox is a headless Firefox ESR driven through Marionette.
type Firefox struct {
	cmd     *exec.Cmd
	done    chan struct{}
	m       *marionette
	addons  []FirefoxAddon
	current string // the window handle Marionette acts on

	mu sync.Mutex // serialises tab switching with the command that follows
}

// StartFirefox launches headless Firefox ESR with a fresh profile in env,
// opens a Marionette session that accepts the test server's certificate,
// and installs the add-ons.
func StartFirefox(ctx context.Context, o FirefoxOptions) (*Firefox, error) {
	execPath := o.Exec
	if execPath == "" {
		var err error
		if execPath, err = FindFirefox(); err != nil {
			return nil, err
		}
	}
	if o.Env == nil {
		return nil, errors.New("firefox: no environment")
	}
	tmp, err := o.Env.TempDir("firefox")
	if err != nil {
		return nil, err
	}
	profile, err := firefoxProfileDir(o)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(firefoxPrefs(o.Addons, o.Prefs)), 0o644); err != nil {
		return nil, err
	}
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	// -remote-allow-system-access lets Marionette open the extension's own
	// pages from the browser chrome (tests only).
	cmd := exec.Command(execPath, "--headless", "--marionette", "--remote-allow-system-access", "--no-remote", "--new-instance", "--profile", profile)
	cmd.Env = o.Env.Environ("TMPDIR="+tmp, "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_HEADLESS=1")
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so Close can end the content processes and
	// the native hosts it started (not the agent: that one calls setsid).
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start firefox: %w", err)
	}
	f := &Firefox{cmd: cmd, done: make(chan struct{}), addons: o.Addons}
	go func() {
		cmd.Wait()
		close(f.done)
	}()
	port, err := f.waitPort(ctx, filepath.Join(profile, "MarionetteActivePort"))
	if err != nil {
		f.kill()
		return nil, err
	}
	if f.m, err = dialMarionette(ctx, "127.0.0.1:"+strconv.Itoa(port)); err != nil {
		f.kill()
		return nil, err
	}
	// Marionette takes the capabilities themselves as the parameters.
	caps := map[string]any{
		"acceptInsecureCerts": true,
		"pageLoadStrategy":    "normal",
		"timeouts":            map[string]any{"script": 120000, "pageLoad": 60000},
	}
	if err := f.m.Call(ctx, "WebDriver:NewSession", caps, nil); err != nil {
		f.kill()
		return nil, err
	}
	var h string
	if err := f.m.Call(ctx, "WebDriver:GetWindowHandle", nil, &valueOf[string]{&h}); err != nil {
		f.kill()
		return nil, err
	}
	f.current = h
	for _, a := range o.Addons {
		if err := f.InstallAddon(ctx, a.Dir); err != nil {
			f.kill()
			return nil, err
		}
	}
	return f, nil
}

// valueOf decodes Marionette's {"value": ...} wrapper.
type valueOf[T any] struct{ v *T }

// Some commands answer a bare value; those decode as they are.
func (w *valueOf[T]) UnmarshalJSON(b []byte) error {
	var r struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Value == nil {
		return json.Unmarshal(b, w.v)
	}
	return json.Unmarshal(r.Value, w.v)
}

func (f *Firefox) waitPort(ctx context.Context, path string) (int, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 {
				return n, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("firefox: marionette did not start: %w", ctx.Err())
		case <-f.done:
			return 0, errors.New("firefox exited before marionette started")
		case <-tick.C:
		}
	}
}

// InstallAddon installs an unpacked extension as a temporary add-on.
func (f *Firefox) InstallAddon(ctx context.Context, dir string) error {
	return f.m.Call(ctx, "Addon:Install", map[string]any{"path": dir, "temporary": true}, nil)
}

// UninstallAddon removes an add-on by id.
func (f *Firefox) UninstallAddon(ctx context.Context, id string) error {
	return f.m.Call(ctx, "Addon:Uninstall", map[string]any{"id": id}, nil)
}

// Name implements Browser.
func (f *Firefox) Name() string { return "firefox" }

// ExtensionURL implements Browser: a page of the first add-on.
func (f *Firefox) ExtensionURL(file string) string {
	if len(f.addons) == 0 {
		return ""
	}
	return "moz-extension://" + f.addons[0].UUID + "/" + file
}

// NewPage implements Browser. WebDriver may not navigate to the
// extension's own moz-extension:// pages; those open from the browser's
// chrome instead, as the toolbar button would.
func (f *Firefox) NewPage(ctx context.Context, url string) (Page, error) {
	if strings.HasPrefix(url, "moz-extension://") {
		return f.openExtensionPage(ctx, url)
	}
	f.mu.Lock()
	var w struct {
		Handle string `json:"handle"`
	}
	err := f.anyWindowLocked(ctx)
	if err == nil {
		err = f.m.Call(ctx, "WebDriver:NewWindow", map[string]any{"type": "tab", "focus": true}, &w)
	}
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	p := &firefoxPage{f: f, handle: w.Handle}
	if err := p.Navigate(ctx, url); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// openChromeTabScript opens a tab with the system principal (allowed to
// load an extension page) and waits until it has loaded.
const openChromeTabScript = `const [url, done] = arguments;
const tab = gBrowser.addTab(url, {triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal()});
gBrowser.selectedTab = tab;
const deadline = Date.now() + 20000;
(function poll() {
	const b = tab.linkedBrowser;
	if (b.currentURI.spec === url && !b.webProgress.isLoadingDocument) return done(true);
	if (Date.now() > deadline) return done(false);
	setTimeout(poll, 25);
})();`

func (f *Firefox) openExtensionPage(ctx context.Context, url string) (Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.anyWindowLocked(ctx); err != nil {
		return nil, err
	}
	var before []string
	if err := f.m.Call(ctx, "WebDriver:GetWindowHandles", nil, &valueOf[[]string]{&before}); err != nil {
		return nil, err
	}
	if err := f.m.Call(ctx, "Marionette:SetContext", map[string]any{"value": "chrome"}, nil); err != nil {
		return nil, err
	}
	var loaded bool
	err := f.m.Call(ctx, "WebDriver:ExecuteAsyncScript", map[string]any{"script": openChromeTabScript, "args": []any{url}}, &valueOf[bool]{&loaded})
	if cerr := f.m.Call(ctx, "Marionette:SetContext", map[string]any{"value": "content"}, nil); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", url, err)
	}
	if !loaded {
		return nil, fmt.Errorf("open %s: not loaded within 20 s", url)
	}
	var after []string
	if err := f.m.Call(ctx, "WebDriver:GetWindowHandles", nil, &valueOf[[]string]{&after}); err != nil {
		return nil, err
	}
	for _, h := range after {
		if !slices.Contains(before, h) {
			return &firefoxPage{f: f, handle: h}, nil
		}
	}
	return nil, fmt.Errorf("open %s: no new tab", url)
}

// anyWindowLocked makes sure Marionette acts on a window that exists,
// after the one it acted on was closed.
func (f *Firefox) anyWindowLocked(ctx context.Context) error {
	if f.current != "" {
		return nil
	}
	var handles []string
	if err := f.m.Call(ctx, "WebDriver:GetWindowHandles", nil, &valueOf[[]string]{&handles}); err != nil {
		return err
	}
	if len(handles) == 0 {
		return errors.New("firefox has no window left")
	}
	return f.switchLocked(ctx, handles[0])
}

// switchLocked makes handle the window Marionette acts on.
func (f *Firefox) switchLocked(ctx context.Context, handle string) error {
	if f.current == handle {
		return nil
	}
	if err := f.m.Call(ctx, "WebDriver:SwitchToWindow", map[string]any{"handle": handle, "focus": true}, nil); err != nil {
		return err
	}
	f.current = handle
	return nil
}

// Close implements Browser: quits through Marionette, then kills.
func (f *Firefox) Close() error {
	if f.m != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		f.m.Call(ctx, "Marionette:Quit", map[string]any{"flags": []string{"eForceQuit"}}, nil)
		cancel()
		f.m.Close()
	}
	select {
	case <-f.done:
	case <-time.After(5 * time.Second):
	}
	f.kill()
	return nil
}

func (f *Firefox) kill() {
	// The whole group: content processes and native hosts.
	killGroup(f.cmd)
	<-f.done
}

type firefoxPage struct {
	f      *Firefox
	handle string
}

func (p *firefoxPage) Navigate(ctx context.Context, url string) error {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	if err := p.f.switchLocked(ctx, p.handle); err != nil {
		return err
	}
	if err := p.f.m.Call(ctx, "WebDriver:Navigate", map[string]any{"url": url}, nil); err != nil {
		return fmt.Errorf("navigate %s: %w", url, err)
	}
	return nil
}

// firefoxEval wraps an expression for WebDriver:ExecuteAsyncScript: the
// value comes back as JSON text so that every type survives.
const firefoxEval = `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (%s)).then(
	(v) => done({ok: JSON.stringify(v === undefined ? null : v)}),
	(e) => done({err: String((e && e.stack) || e)}));`

func (p *firefoxPage) Eval(ctx context.Context, expr string, out any) error {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	if err := p.f.switchLocked(ctx, p.handle); err != nil {
		return err
	}
	var r struct {
		OK  *string `json:"ok"`
		Err string  `json:"err"`
	}
	err := p.f.m.Call(ctx, "WebDriver:ExecuteAsyncScript", map[string]any{
		"script": fmt.Sprintf(firefoxEval, expr), "args": []any{},
	}, &valueOf[struct {
		OK  *string `json:"ok"`
		Err string  `json:"err"`
	}]{&r})
	if err != nil {
		return err
	}
	if r.OK == nil {
		return fmt.Errorf("script failed: %s", r.Err)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal([]byte(*r.OK), out)
}

// Click clicks the element the CSS selector names through WebDriver.
func (p *firefoxPage) Click(ctx context.Context, selector string) error {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	if err := p.f.switchLocked(ctx, p.handle); err != nil {
		return err
	}
	var el map[string]string
	if err := p.f.m.Call(ctx, "WebDriver:FindElement", map[string]any{"using": "css selector", "value": selector}, &valueOf[map[string]string]{&el}); err != nil {
		return err
	}
	for _, id := range el {
		return p.f.m.Call(ctx, "WebDriver:ElementClick", map[string]any{"id": id}, nil)
	}
	return fmt.Errorf("click %s: no element reference", selector)
}

func (p *firefoxPage) Close() error {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.f.switchLocked(ctx, p.handle); err != nil {
		return err
	}
	err := p.f.m.Call(ctx, "WebDriver:CloseWindow", nil, nil)
	// Marionette needs a current window: the next command takes any.
	p.f.current = ""
	return err
}

func firefoxPrefs(addons []FirefoxAddon, extra map[string]any) string {
	uuids := map[string]string{}
	for _, a := range addons {
		if a.UUID != "" {
			uuids[a.ID] = a.UUID
		}
	}
	uuidJSON, _ := json.Marshal(uuids)
	prefs := []struct {
		name  string
		value any
	}{
		{"marionette.port", 0},
		{"xpinstall.signatures.required", false},
		{"extensions.autoDisableScopes", 0},
		{"extensions.update.enabled", false},
		{"extensions.getAddons.cache.enabled", false},
		{"extensions.webextensions.uuids", string(uuidJSON)},
		{"app.update.enabled", false},
		{"app.update.auto", false},
		{"app.update.checkInstallTime", false},
		{"toolkit.telemetry.enabled", false},
		{"toolkit.telemetry.unified", false},
		{"datareporting.policy.dataSubmissionEnabled", false},
		{"datareporting.healthreport.uploadEnabled", false},
		{"network.captive-portal-service.enabled", false},
		{"network.connectivity-service.enabled", false},
		{"browser.safebrowsing.malware.enabled", false},
		{"browser.safebrowsing.phishing.enabled", false},
		{"browser.safebrowsing.downloads.enabled", false},
		{"browser.safebrowsing.blockedURIs.enabled", false},
		{"browser.shell.checkDefaultBrowser", false},
		{"browser.startup.homepage_override.mstone", "ignore"},
		{"browser.aboutwelcome.enabled", false},
		{"browser.newtabpage.enabled", false},
		{"browser.region.update.enabled", false},
		{"dom.security.https_first", false},
		{"dom.security.https_first_schemeless", false},
		{"dom.security.https_only_mode", false},
		{"network.proxy.type", 0},
		{"network.dns.localDomains", strings.Join(TestDomains, ",")},
	}
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		prefs = append(prefs, struct {
			name  string
			value any
		}{name, extra[name]})
	}
	var b strings.Builder
	for _, p := range prefs {
		v, _ := json.Marshal(p.value)
		fmt.Fprintf(&b, "user_pref(%q, %s);\n", p.name, v)
	}
	return b.String()
}
