// Package e2e runs bpclient end to end: headless Chromium and Firefox ESR
// with the real extension, the real bpclient-host and the real agent, in
// an isolated HOME, against the demo Agent Desktop page served over https.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/nativemsg/extension"
	"github.com/openbpclient/bpclient/version"
)

const (
	// Bounds for conditions the page waits for.
	stateTimeout = 15 * time.Second
	// An agent killed under a connected page: the extension reconnects with
	// backoff and the host starts a new agent (up to 3 s).
	recoverTimeout = 20 * time.Second

	foreignGeckoID = "other@openbpclient.test"
	addonUUID      = "6f1d2c3e-5a4b-4c7d-9e8f-0b1c2d3e4f50"
)

var (
	binsOnce sync.Once
	bins     *browsertest.Binaries
	binsErr  error
	binsDir  string

	screenOnce sync.Once
	screenErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binsDir != "" {
		os.RemoveAll(binsDir)
	}
	os.Exit(code)
}

// binaries builds bpclient and bpclient-host once per test process.
func binaries(t *testing.T) *browsertest.Binaries {
	t.Helper()
	binsOnce.Do(func() {
		binsDir, binsErr = os.MkdirTemp("", "bpc-bin")
		if binsErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		bins, binsErr = browsertest.BuildBinaries(ctx, binsDir)
	})
	if binsErr != nil {
		t.Fatal(binsErr)
	}
	return bins
}

// screenBinaries are binaries(t) with bpclient-screen beside them, built
// once per test process: the agents of the screen tests record and
// stream through it.
func screenBinaries(t *testing.T) *browsertest.Binaries {
	t.Helper()
	b := binaries(t)
	screenOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		_, screenErr = browsertest.BuildScreen(ctx, b)
	})
	if screenErr != nil {
		t.Fatal(screenErr)
	}
	return b
}

// fixture is one isolated user with a running agent, installed host
// manifests, the test web server and the extension builds.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	bins    *browsertest.Binaries
	env     *browsertest.Env
	agent   *browsertest.Agent
	srv     *browsertest.Server
	ext     string // our extension, built for the browser under test
	foreign string // the same code with another id, which the agent refuses
}

func newFixture(t *testing.T, browser string) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	b := binaries(t)
	// A short root: the agent's socket path must fit in 108 bytes.
	root, err := os.MkdirTemp("", "bpc-"+browser)
	if err != nil {
		t.Fatal(err)
	}
	env, err := browsertest.NewEnv(root)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, bins: b, env: env}
	t.Cleanup(func() {
		if t.Failed() {
			if log, err := os.ReadFile(env.LogFile()); err == nil {
				t.Logf("BPClient.log:\n%s", tail(log, 60))
			}
		}
		// Also an agent a host started on its own after a kill.
		browsertest.KillAnyAgent(context.Background(), env)
		if f.agent != nil {
			f.agent.Stop()
		}
		os.RemoveAll(root)
	})
	if err := browsertest.WriteUserPolicy(env, browsertest.AllowedDomain); err != nil {
		t.Fatal(err)
	}
	if f.agent, err = browsertest.StartAgent(ctx, b, env); err != nil {
		t.Fatal(err)
	}
	how, err := browsertest.InstallManifests(ctx, b, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("host manifests: %s", how)
	if f.srv, err = browsertest.StartServer(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.srv.Close() })

	other, err := os.ReadFile(filepath.Join(b.Source, "internal", "testdata", "other-extension-key.pub.b64"))
	if err != nil {
		t.Fatal(err)
	}
	f.ext = filepath.Join(root, "ext-"+browser)
	f.foreign = filepath.Join(root, "ext-foreign-"+browser)
	if err := extension.Build(f.ext, browser, extension.Options{}); err != nil {
		t.Fatal(err)
	}
	foreign := extension.Options{Key: strings.TrimSpace(string(other)), GeckoID: foreignGeckoID, Name: "Not BPClient"}
	if err := extension.Build(f.foreign, browser, foreign); err != nil {
		t.Fatal(err)
	}
	return f
}

func tail(b []byte, lines int) []byte {
	ls := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return bytes.Join(ls, []byte("\n"))
}

func (f *fixture) page(b browsertest.Browser, url string) browsertest.Page {
	f.t.Helper()
	p, err := b.NewPage(f.ctx, url)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { p.Close() })
	return p
}

// waitState waits for the demo page to reach state at or after log index
// from and returns that entry's details.
func waitState(t *testing.T, ctx context.Context, p browsertest.Page, state string, from int, timeout time.Duration) (browsertest.LogEntry, map[string]any) {
	t.Helper()
	e, err := browsertest.WaitLog(ctx, p, "state", state, from, timeout)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := e.Decode(&d); err != nil {
		t.Fatal(err)
	}
	return e, d
}

func logLen(t *testing.T, ctx context.Context, p browsertest.Page) int {
	t.Helper()
	log, err := browsertest.DemoLog(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return len(log)
}

// browserCase is what differs between the browsers.
type browserCase struct {
	name string
	// start launches the browser with our extension.
	start func(f *fixture) browsertest.Browser
	// foreign returns a browser in which only the foreign extension is
	// loaded; it may close b first.
	foreign func(f *fixture, b browsertest.Browser) browsertest.Browser
	// stopBackground ends the extension's background script as the
	// browser may (nil: not checked).
	stopBackground func(f *fixture, b browsertest.Browser)
	// noExtension returns a browser without any of our extensions, or
	// nil when the case does not check extension-missing.
	noExtension func(f *fixture, b browsertest.Browser) browsertest.Browser
}

func TestChromium(t *testing.T) {
	t.Parallel()
	browsertest.NeedChromium(t)
	var out bytes.Buffer
	var outMu sync.Mutex
	start := func(f *fixture, dir, id string) browsertest.Browser {
		t.Helper()
		b, err := browsertest.StartChromium(f.ctx, browsertest.ChromiumOptions{
			Env: f.env, Extensions: []string{dir}, ExtensionID: id, Output: &lockedBuffer{b: &out, mu: &outMu},
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Cleanup(func() {
		if t.Failed() {
			outMu.Lock()
			t.Logf("chromium output:\n%s", tail(out.Bytes(), 40))
			outMu.Unlock()
		}
	})
	runSuite(t, browserCase{
		name: extension.Chromium,
		start: func(f *fixture) browsertest.Browser {
			return start(f, f.ext, extension.ChromiumID)
		},
		stopBackground: func(f *fixture, b browsertest.Browser) {
			ok, err := b.(*browsertest.Chromium).StopServiceWorker(f.ctx, extension.ChromiumID)
			if err != nil || !ok {
				t.Fatalf("stop service worker: %v, %v", ok, err)
			}
		},
		foreign: func(f *fixture, b browsertest.Browser) browsertest.Browser {
			// One profile at a time: the foreign extension gets the same
			// profile, so Chromium reads the manifest install wrote.
			b.Close()
			id, err := extension.IDFromKey(mustRead(t, filepath.Join(f.bins.Source, "internal", "testdata", "other-extension-key.pub.b64")))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := browsertest.InstallManifests(f.ctx, f.bins, f.env, id); err != nil {
				t.Fatal(err)
			}
			return start(f, f.foreign, id)
		},
	})
}

func TestFirefox(t *testing.T) {
	t.Parallel()
	browsertest.NeedFirefox(t)
	var out bytes.Buffer
	var outMu sync.Mutex
	t.Cleanup(func() {
		if t.Failed() {
			outMu.Lock()
			t.Logf("firefox output:\n%s", tail(out.Bytes(), 40))
			outMu.Unlock()
		}
	})
	runSuite(t, browserCase{
		name: extension.Firefox,
		start: func(f *fixture) browsertest.Browser {
			b, err := browsertest.StartFirefox(f.ctx, browsertest.FirefoxOptions{
				Env:    f.env,
				Addons: []browsertest.FirefoxAddon{{Dir: f.ext, ID: extension.GeckoID, UUID: addonUUID}},
				Output: &lockedBuffer{b: &out, mu: &outMu},
			})
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		foreign: func(f *fixture, b browsertest.Browser) browsertest.Browser {
			ff := b.(*browsertest.Firefox)
			if err := ff.UninstallAddon(f.ctx, extension.GeckoID); err != nil {
				t.Fatal(err)
			}
			if _, err := browsertest.InstallManifests(f.ctx, f.bins, f.env, foreignGeckoID); err != nil {
				t.Fatal(err)
			}
			if err := ff.InstallAddon(f.ctx, f.foreign); err != nil {
				t.Fatal(err)
			}
			return b
		},
		noExtension: func(f *fixture, b browsertest.Browser) browsertest.Browser {
			if err := b.(*browsertest.Firefox).UninstallAddon(f.ctx, foreignGeckoID); err != nil {
				t.Fatal(err)
			}
			return b
		},
	})
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type lockedBuffer struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// runSuite runs the scenarios in order in one browser; each step leaves
// the agent running for the next.
func runSuite(t *testing.T, bc browserCase) {
	f := newFixture(t, bc.name)
	ctx := f.ctx
	t0 := time.Now()
	b := bc.start(f)
	defer func() { b.Close() }()
	t.Logf("%s started in %v", bc.name, time.Since(t0).Round(time.Millisecond))

	allowedURL := f.srv.URL(browsertest.AllowedDomain, "/demo.html")
	allowedOrigin := strings.TrimSuffix(allowedURL, "/demo.html")
	var main browsertest.Page

	step := func(name string, fn func(t *testing.T)) {
		if t.Failed() {
			return // the steps build on each other
		}
		start := time.Now()
		t.Run(name, fn)
		t.Logf("%-28s %v", name, time.Since(start).Round(time.Millisecond))
	}

	step("allowed page connects", func(t *testing.T) {
		main = f.page(b, allowedURL)
		e, d := waitState(t, ctx, main, "connected", 0, stateTimeout)
		hello, _ := d["hello"].(map[string]any)
		if hello == nil {
			// The state entry carries the details only; the hello entry
			// follows it.
			he, err := browsertest.WaitLog(ctx, main, "hello", "", e.Index, stateTimeout)
			if err != nil {
				t.Fatal(err)
			}
			he.Decode(&hello)
		}
		if hello["helperVersion"] != version.Version || hello["protocolVersion"] != float64(version.Protocol) {
			t.Errorf("hello = %v, want helperVersion %s protocolVersion %d", hello, version.Version, version.Protocol)
		}
		se, err := browsertest.WaitLog(ctx, main, "status", "", e.Index, stateTimeout)
		if err != nil {
			t.Fatal(err)
		}
		var st browsertest.Status
		se.Decode(&st)
		if st.HelperVersion != version.Version || st.PID == 0 {
			t.Errorf("helper.status = %s", se.Data)
		}
		i := slices.IndexFunc(st.Clients, func(c browsertest.StatusClient) bool {
			return c.Kind == "page" && c.PageOrigin == allowedOrigin
		})
		if i < 0 {
			t.Fatalf("helper.status lists no page client from %s: %s", allowedOrigin, se.Data)
		}
		if c := st.Clients[i]; c.Browser != bc.name || c.Client != "bpclient-demo" {
			t.Errorf("page client = %+v, want browser %s client bpclient-demo", c, bc.name)
		}
	})

	step("event reaches the page", func(t *testing.T) {
		from := logLen(t, ctx, main)
		c, _, err := browsertest.Dial(ctx, f.env, "e2e-second-client")
		if err != nil {
			t.Fatal(err)
		}
		e, err := browsertest.WaitLog(ctx, main, "event", "helper.clientsChanged", from, stateTimeout)
		if err != nil {
			t.Fatal(err)
		}
		var p struct{ Clients int }
		e.Decode(&p)
		if p.Clients < 2 {
			t.Errorf("helper.clientsChanged %s: want at least 2 clients", e.Data)
		}
		c.Close()
		if _, err := browsertest.WaitLog(ctx, main, "event", "helper.clientsChanged", e.Index+1, stateTimeout); err != nil {
			t.Fatal(err)
		}
	})

	step("page calls and privileged methods", func(t *testing.T) {
		res, rerr, err := browsertest.DemoCall(ctx, main, "helper.ping", nil)
		if err != nil || rerr != nil || !strings.Contains(string(res), `"pong":true`) {
			t.Errorf("helper.ping = %s, %v, %v", res, rerr, err)
		}
		for _, m := range []string{"policy.allow", "policy.remove", "relay.identify", "helper.hello"} {
			_, rerr, err := browsertest.DemoCall(ctx, main, m, map[string]string{"domain": "evil.test", "pageOrigin": "https://evil.test"})
			if err != nil {
				t.Fatal(err)
			}
			if rerr == nil || rerr.Code != -32001 || rerr.Data["reason"] != "privileged" {
				t.Errorf("page %s: error %v, want -32001 privileged", m, rerr)
			}
		}
		_, rerr, err = browsertest.DemoCall(ctx, main, "no.such.method", nil)
		if err != nil || rerr == nil || rerr.Code != -32601 {
			t.Errorf("no.such.method: %v, %v; want -32601", rerr, err)
		}
		// Over 1 MiB: refused by the extension; the session lives on.
		var big struct {
			Error *browsertest.RPCError `json:"error"`
		}
		if err := main.Eval(ctx, `window.bpDemo.call("helper.ping", {pad: "x".repeat(1100000)})`, &big); err != nil {
			t.Fatal(err)
		}
		if big.Error == nil || big.Error.Code != -32600 {
			t.Errorf("1.1 MB request: %v, want -32600", big.Error)
		}
		if _, rerr, err := browsertest.DemoCall(ctx, main, "helper.ping", nil); err != nil || rerr != nil {
			t.Errorf("helper.ping after a refused big request: %v %v", rerr, err)
		}
		// A page that names its own origin in a raw connect message is
		// still known by the origin the browser gives the extension.
		from := logLen(t, ctx, main)
		if err := main.Eval(ctx, `window.postMessage({bpclient: "page", type: "connect",
			params: {client: "bpclient-demo", pageOrigin: "https://evil.test"}}, location.origin)`, nil); err != nil {
			t.Fatal(err)
		}
		waitState(t, ctx, main, "connected", from, stateTimeout)
		st, err := browsertest.AgentStatus(ctx, f.env)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range st.Clients {
			if c.Kind == "page" && c.PageOrigin != allowedOrigin {
				t.Errorf("page client %+v: want pageOrigin %s", c, allowedOrigin)
			}
		}
	})

	step("update required", func(t *testing.T) {
		p := f.page(b, allowedURL+"?minHelperVersion=99.0.0")
		_, d := waitState(t, ctx, p, "update-required", 0, stateTimeout)
		if d["helperVersion"] != version.Version || d["minHelperVersion"] != "99.0.0" {
			t.Errorf("update-required %v: want helperVersion %s, minHelperVersion 99.0.0", d, version.Version)
		}
		p.Close()
	})

	step("plain http is refused", func(t *testing.T) {
		p := f.page(b, f.srv.PlainURL(browsertest.AllowedDomain, "/demo.html"))
		_, d := waitState(t, ctx, p, "origin-not-allowed", 0, stateTimeout)
		if d["reason"] != "origin-not-https" || d["canAsk"] != false {
			t.Errorf("http page: %v, want reason origin-not-https, canAsk false", d)
		}
		p.Close()
	})

	step("other domain asks and is allowed in the popup", func(t *testing.T) {
		p := f.page(b, f.srv.URL(browsertest.OtherDomain, "/demo.html"))
		e, d := waitState(t, ctx, p, "origin-not-allowed", 0, stateTimeout)
		if d["reason"] != "origin-not-allowed" || d["canAsk"] != true || d["domain"] != browsertest.OtherDomain {
			t.Fatalf("other domain: %v, want reason origin-not-allowed, canAsk true", d)
		}
		popup := f.page(b, b.ExtensionURL("popup.html"))
		sel := `button[data-allow="` + browsertest.OtherDomain + `"]`
		var text string
		if err := popup.Eval(ctx, `(async () => {
			for (let i = 0; i < 200 && !document.querySelector('`+sel+`'); i++) await new Promise((r) => setTimeout(r, 25));
			const r = document.querySelector('.request');
			return r ? r.textContent : "";
		})()`, &text); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, browsertest.OtherDomain+" wants to use BPClient") {
			t.Fatalf("popup shows %q, want the request for %s", text, browsertest.OtherDomain)
		}
		if err := popup.(browsertest.Clicker).Click(ctx, sel); err != nil {
			t.Fatal(err)
		}
		waitState(t, ctx, p, "connected", e.Index, stateTimeout)
		st, err := browsertest.AgentStatus(ctx, f.env)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(st.Clients, func(c browsertest.StatusClient) bool {
			return c.PageOrigin == strings.TrimSuffix(f.srv.URL(browsertest.OtherDomain, ""), "/")
		}) {
			t.Errorf("helper.status has no client from %s", browsertest.OtherDomain)
		}
		var pol struct {
			Domains []string `json:"domains"`
		}
		data, _ := os.ReadFile(f.env.UserPolicyFile())
		json.Unmarshal(data, &pol)
		if !slices.Contains(pol.Domains, browsertest.OtherDomain) {
			t.Errorf("user policy %s does not list %s", data, browsertest.OtherDomain)
		}
		// The popup now shows the helper's status.
		var version string
		popup.Eval(ctx, `(async () => {
			for (let i = 0; i < 200 && !document.body.dataset.helperVersion; i++) await new Promise((r) => setTimeout(r, 25));
			return document.body.dataset.helperVersion || "";
		})()`, &version)
		if version == "" {
			t.Errorf("popup shows no helper version")
		}
		popup.Close()
		p.Close()
	})

	step("deny in the popup", func(t *testing.T) {
		p := f.page(b, f.srv.URL(browsertest.SpareDomain, "/demo.html"))
		e, d := waitState(t, ctx, p, "origin-not-allowed", 0, stateTimeout)
		if d["canAsk"] != true {
			t.Fatalf("spare domain: %v, want canAsk true", d)
		}
		popup := f.page(b, b.ExtensionURL("popup.html"))
		sel := `button[data-deny="` + browsertest.SpareDomain + `"]`
		var found bool
		popup.Eval(ctx, `(async () => {
			for (let i = 0; i < 200 && !document.querySelector('`+sel+`'); i++) await new Promise((r) => setTimeout(r, 25));
			return Boolean(document.querySelector('`+sel+`'));
		})()`, &found)
		if !found {
			t.Fatalf("popup shows no request for %s", browsertest.SpareDomain)
		}
		if err := popup.(browsertest.Clicker).Click(ctx, sel); err != nil {
			t.Fatal(err)
		}
		_, d = waitState(t, ctx, p, "origin-not-allowed", e.Index+1, stateTimeout)
		if d["denied"] != true {
			t.Errorf("after Deny: %v, want denied true", d)
		}
		data, _ := os.ReadFile(f.env.UserPolicyFile())
		if strings.Contains(string(data), browsertest.SpareDomain) {
			t.Errorf("user policy lists the denied domain: %s", data)
		}
		popup.Close()
		p.Close()
	})

	step("helper not installed, then installed", func(t *testing.T) {
		manifest := f.env.ChromiumManifest(nativemsg.HostName)
		if bc.name == extension.Firefox {
			manifest = f.env.FirefoxManifest(nativemsg.HostName)
		}
		if err := os.Rename(manifest, manifest+".away"); err != nil {
			t.Fatal(err)
		}
		p := f.page(b, allowedURL)
		e, _ := waitState(t, ctx, p, "helper-not-installed", 0, stateTimeout)
		if err := os.Rename(manifest+".away", manifest); err != nil {
			t.Fatal(err)
		}
		// The extension retries on its own.
		waitState(t, ctx, p, "connected", e.Index, stateTimeout)
		p.Close()
	})

	step("agent killed mid-session", func(t *testing.T) {
		from := logLen(t, ctx, main)
		before, err := browsertest.AgentStatus(ctx, f.env)
		if err != nil {
			t.Fatal(err)
		}
		if err := killPID(before.PID); err != nil {
			t.Fatal(err)
		}
		e, _ := waitState(t, ctx, main, "helper-disconnected", from, stateTimeout)
		waitState(t, ctx, main, "connected", e.Index, recoverTimeout)
		after, err := browsertest.AgentStatus(ctx, f.env)
		if err != nil {
			t.Fatal(err)
		}
		if after.PID == before.PID {
			t.Errorf("agent pid %d unchanged after the kill", after.PID)
		}
		res, rerr, err := browsertest.DemoCall(ctx, main, "helper.ping", nil)
		if err != nil || rerr != nil {
			t.Errorf("helper.ping after recovery: %s %v %v", res, rerr, err)
		}
	})

	if bc.stopBackground != nil {
		step("background restarted", func(t *testing.T) {
			from := logLen(t, ctx, main)
			bc.stopBackground(f, b)
			e, d := waitState(t, ctx, main, "helper-disconnected", from, stateTimeout)
			if d["reason"] != "extension-restarted" {
				t.Errorf("helper-disconnected %v: want reason extension-restarted", d)
			}
			waitState(t, ctx, main, "connected", e.Index, stateTimeout)
		})
	}

	step("extension not allowed", func(t *testing.T) {
		main = nil
		b = bc.foreign(f, b)
		p := f.page(b, allowedURL)
		_, d := waitState(t, ctx, p, "helper-blocked", 0, stateTimeout)
		if d["reason"] != "extension-not-allowed" {
			t.Errorf("foreign extension: %v, want reason extension-not-allowed", d)
		}
		p.Close()
	})

	if bc.noExtension != nil {
		step("extension missing", func(t *testing.T) {
			b = bc.noExtension(f, b)
			p := f.page(b, allowedURL+"?timeoutMs=1000")
			waitState(t, ctx, p, "extension-missing", 0, stateTimeout)
		})
	}
	t.Logf("%s suite: %v", bc.name, time.Since(t0).Round(time.Millisecond))
}

// killPID ends a process as a crash would.
func killPID(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
