package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's Chromium binary; the /usr/bin wrapper adds
// flags of its own, so tests run this one.
const ChromiumPath = "/usr/lib/chromium/chromium"

// FindChromium returns the Chromium executable, or an error that says
// why the tests cannot run (BPCLIENT_CHROMIUM overrides the path).
func FindChromium() (string, error) {
	p := os.Getenv("BPCLIENT_CHROMIUM")
	if p == "" {
		p = ChromiumPath
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("chromium not found at %s (apt-get install chromium; `make test` installs it): %w", p, err)
	}
	return p, nil
}

// ChromiumOptions configure StartChromium.
type ChromiumOptions struct {
	Exec        string // executable; "" means FindChromium
	Env         *Env   // isolated environment (required)
	Extensions  []string
	ExtensionID string    // id of the first extension, for ExtensionURL
	Output      io.Writer // the browser's stderr; nil discards it
}

// Chromium is a headless Chromium driven over CDP.
type Chromium struct {
	allocCancel   context.CancelFunc
	browserCtx    context.Context
	browserCancel context.CancelFunc
	extensionID   string
	mu            sync.Mutex
	first         bool // the initial about:blank tab is still unused
}

// StartChromium launches headless Chromium with the profile directory at
// env's default Chromium location (so it reads the host manifests that
// `bpclient install` wrote there) and the given unpacked extensions.
func StartChromium(ctx context.Context, o ChromiumOptions) (*Chromium, error) {
	execPath := o.Exec
	if execPath == "" {
		var err error
		if execPath, err = FindChromium(); err != nil {
			return nil, err
		}
	}
	if o.Env == nil {
		return nil, errors.New("chromium: no environment")
	}
	tmp, err := o.Env.TempDir("chromium")
	if err != nil {
		return nil, err
	}
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	rules := make([]string, 0, len(TestDomains))
	for _, d := range TestDomains {
		rules = append(rules, "MAP "+d+" 127.0.0.1")
	}
	rules = append(rules, "MAP *.test 127.0.0.1")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(o.Env.ChromiumUserDataDir()),
		chromedp.Flag("headless", "new"),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,MediaRouter"),
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("host-resolver-rules", strings.Join(rules, ",")),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Env(append(o.Env.Vars(), "TMPDIR="+tmp)...),
		chromedp.CombinedOutput(out),
	}
	if len(o.Extensions) > 0 {
		opts = append(opts, chromedp.Flag("load-extension", strings.Join(o.Extensions, ",")))
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.WithoutCancel(ctx), opts...)
	browserCtx, browserCancel := chromedp.NewContext(allocCtx)
	c := &Chromium{allocCancel: allocCancel, browserCtx: browserCtx, browserCancel: browserCancel, extensionID: o.ExtensionID, first: true}
	// The first Run starts the browser; it must not carry a timeout.
	startErr := make(chan error, 1)
	go func() { startErr <- chromedp.Do(browserCtx) }()
	select {
	case err := <-startErr:
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("start chromium: %w", err)
		}
	case <-ctx.Done():
		c.Close()
		return nil, fmt.Errorf("start chromium: %w", ctx.Err())
	}
	return c, nil
}

// Name implements Browser.
func (c *Chromium) Name() string { return "chromium" }

// ExtensionURL implements Browser.
func (c *Chromium) ExtensionURL(file string) string {
	return "chrome-extension://" + c.extensionID + "/" + file
}

// NewPage implements Browser.
func (c *Chromium) NewPage(ctx context.Context, url string) (Page, error) {
	c.mu.Lock()
	var tabCtx context.Context
	var cancel context.CancelFunc
	if c.first {
		// Reuse the tab the browser opened with.
		c.first = false
		tabCtx, cancel = c.browserCtx, func() {}
	} else {
		tabCtx, cancel = chromedp.NewContext(c.browserCtx)
	}
	c.mu.Unlock()
	// The first Run on a chromedp context opens its tab, which then lives
	// as long as the context of that Run: it must be the tab's own
	// context, not one derived with a deadline.
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(tabCtx) }()
	select {
	case err := <-opened:
		if err != nil {
			cancel()
			return nil, fmt.Errorf("open tab: %w", err)
		}
	case <-ctx.Done():
		cancel()
		return nil, fmt.Errorf("open tab: %w", ctx.Err())
	}
	p := &chromiumPage{ctx: tabCtx, cancel: cancel}
	if err := p.Navigate(ctx, url); err != nil {
		cancel()
		return nil, err
	}
	return p, nil
}

// Close implements Browser.
func (c *Chromium) Close() error {
	c.browserCancel()
	c.allocCancel()
	return nil
}

type chromiumPage struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// run runs a on the tab, bounded by ctx as well as by the tab's life.
func chromiumRun[T any](p *chromiumPage, ctx context.Context, a chromedp.Action[T]) (T, error) {
	tctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	v, err := chromedp.Run(tctx, a)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return v, err
}

func (p *chromiumPage) Navigate(ctx context.Context, url string) error {
	_, err := chromiumRun(p, ctx, chromedp.Navigate(url))
	if err != nil {
		return fmt.Errorf("navigate %s: %w", url, err)
	}
	return nil
}

func (p *chromiumPage) Eval(ctx context.Context, expr string, out any) error {
	raw, err := chromiumRun(p, ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

func (p *chromiumPage) Close() error {
	p.cancel()
	return nil
}

// Click clicks the element the CSS selector names, as a user would (a
// real mouse event through CDP).
func (p *chromiumPage) Click(ctx context.Context, selector string) error {
	_, err := chromiumRun(p, ctx, chromedp.Click(selector, chromedp.NodeVisible))
	return err
}

// Clicker is a Page that can click like a user.
type Clicker interface {
	Click(ctx context.Context, selector string) error
}

// StopServiceWorker ends the background service worker of the extension
// with the given id, as Chromium does to an idle or crashed worker. It
// reports whether one was running.
func (c *Chromium) StopServiceWorker(ctx context.Context, extensionID string) (bool, error) {
	bctx, cancel := context.WithCancel(c.browserCtx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	targets, err := chromedp.Targets(bctx)
	if err != nil {
		return false, err
	}
	prefix := "chrome-extension://" + extensionID + "/"
	for _, t := range targets {
		if t.Type != "service_worker" || !strings.HasPrefix(t.URL, prefix) {
			continue
		}
		_, err := chromedp.CallBrowser(bctx, target.CloseTarget, target.CloseTargetParams{TargetID: t.TargetID})
		return err == nil, err
	}
	return false, nil
}
