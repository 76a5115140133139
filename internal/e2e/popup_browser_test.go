//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/nativemsg/extension"
)

// TestPopupFocusesItsTab: in each browser, a page shows a pop-up through
// the real extension, host and agent; another tab comes in front of it;
// the user clicks the pop-up's body on the real dunst: the page gets
// popup.action "default" and the extension brings its tab to the front.
func TestPopupFocusesItsTabChromium(t *testing.T) {
	browsertest.NeedChromium(t)
	popupFocusesItsTab(t, extension.Chromium, startFixtureChromium)
}

func TestPopupFocusesItsTabFirefox(t *testing.T) {
	browsertest.NeedFirefox(t)
	popupFocusesItsTab(t, extension.Firefox, startFixtureFirefox)
}

// startLogged starts the browser with start and, when the test fails,
// logs the tail of its output.
func startLogged(t *testing.T, f *fixture, browser string, start func(*fixture, *lockedBuffer) browsertest.Browser) browsertest.Browser {
	t.Helper()
	var out bytes.Buffer
	var outMu sync.Mutex
	b := start(f, &lockedBuffer{b: &out, mu: &outMu})
	t.Cleanup(func() {
		if t.Failed() {
			outMu.Lock()
			t.Logf("%s output:\n%s", browser, tail(out.Bytes(), 40))
			outMu.Unlock()
		}
	})
	return b
}

// startFixtureChromium starts Chromium with the fixture's extension.
func startFixtureChromium(f *fixture, out *lockedBuffer) browsertest.Browser {
	f.t.Helper()
	b, err := browsertest.StartChromium(f.ctx, browsertest.ChromiumOptions{
		Env: f.env, Extensions: []string{f.ext}, ExtensionID: extension.ChromiumID, Output: out,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// startFixtureFirefox starts Firefox with the fixture's add-on.
func startFixtureFirefox(f *fixture, out *lockedBuffer) browsertest.Browser {
	f.t.Helper()
	b, err := browsertest.StartFirefox(f.ctx, browsertest.FirefoxOptions{
		Env:    f.env,
		Addons: []browsertest.FirefoxAddon{{Dir: f.ext, ID: extension.GeckoID, UUID: addonUUID}},
		Output: out,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func popupFocusesItsTab(t *testing.T, browser string, start func(*fixture, *lockedBuffer) browsertest.Browser) {
	d := desktoptest.Start(t)
	f := newFixture(t, browser)
	// The fixture's agent knows no desktop: start one on the test's.
	if err := f.agent.Stop(); err != nil {
		t.Fatal(err)
	}
	f.env.Extra = append(f.env.Extra, "DBUS_SESSION_BUS_ADDRESS="+d.BusAddress, "DISPLAY="+d.Display)
	var err error
	if f.agent, err = browsertest.StartAgent(f.ctx, f.bins, f.env); err != nil {
		t.Fatal(err)
	}
	b := startLogged(t, f, browser, start)
	defer b.Close()
	// Headless browsers may give every page a window of its own and count
	// every window as focused, and Marionette brings to the front the tab
	// it evaluates in: what the test can see is which tabs the extension
	// activates. Its own page, opened first, notes the tabs created and
	// activated; once the page's tab is known, it opens another tab in
	// front of it and, after the click, says whether the page's tab was
	// activated; only then does the test read the page.
	ext := f.page(b, b.ExtensionURL("popup.html"))
	if err := ext.Eval(f.ctx, `(() => {
		const api = globalThis.browser ?? chrome;
		window.created = [];
		window.activated = [];
		api.tabs.onCreated.addListener((tab) => window.created.push(tab.id));
		api.tabs.onActivated.addListener((info) => window.activated.push(info.tabId));
		return true;
	})()`, nil); err != nil {
		t.Fatal(err)
	}
	main := f.page(b, f.srv.URL(browsertest.AllowedDomain, "/demo.html"))
	waitState(t, f.ctx, main, "connected", 0, stateTimeout)
	var shown struct {
		Result struct {
			PopupID string `json:"popupId"`
			Actions bool   `json:"actions"`
		} `json:"result"`
		Error any `json:"error"`
	}
	if err := main.Eval(f.ctx, `bpDemo.call("popup.show", {tag: "chat", title: "New chat", body: "From Ann", actions: [{id: "reply", label: "Reply"}]})`, &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Error != nil || shown.Result.PopupID == "" || !shown.Result.Actions {
		t.Fatalf("popup.show from the page: %+v", shown)
	}
	d.WaitDisplayed(1, 10*time.Second)

	from := logLen(t, f.ctx, main)
	var mainTab float64
	if err := ext.Eval(f.ctx, `(async () => {
		const api = globalThis.browser ?? chrome;
		const page = await api.tabs.get(window.created[0]);
		await api.tabs.create({windowId: page.windowId, url: "about:blank", active: true});
		window.activated = [];
		return page.id;
	})()`, &mainTab); err != nil {
		t.Fatal(err)
	}
	if activated(t, f, ext, mainTab) {
		t.Fatal("the page's tab was activated before the click")
	}
	d.ClickBody()
	d.WaitDisplayed(0, stateTimeout) // the agent closes it after the action
	deadline := time.Now().Add(stateTimeout)
	for !activated(t, f, ext, mainTab) {
		if time.Now().After(deadline) {
			t.Fatalf("the page's tab was not brought to the front within %v of the click", stateTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	e, err := browsertest.WaitLog(f.ctx, main, "event", "popup.action", from, stateTimeout)
	if err != nil {
		t.Fatal(err)
	}
	var act struct{ PopupID, Tag, Action string }
	if err := e.Decode(&act); err != nil || act.Action != "default" || act.Tag != "chat" {
		t.Fatalf("popup.action %s: want action default, tag chat", e.Data)
	}
}

// activated reports whether the extension page ext has seen the tab with
// id activated.
func activated(t *testing.T, f *fixture, ext browsertest.Page, id float64) bool {
	t.Helper()
	var got bool
	if err := ext.Eval(f.ctx, fmt.Sprintf(`window.activated.includes(%d)`, int64(id)), &got); err != nil {
		t.Fatal(err)
	}
	return got
}
