package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg/extension"
)

// startBrowser launches name (chromium or firefox) with our extension; its
// output is logged when the test fails.
func startBrowser(t *testing.T, f *fixture, name string) browsertest.Browser {
	t.Helper()
	var out bytes.Buffer
	var mu sync.Mutex
	w := &lockedBuffer{b: &out, mu: &mu}
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("%s output:\n%s", name, tail(out.Bytes(), 40))
			mu.Unlock()
		}
	})
	var b browsertest.Browser
	var err error
	switch name {
	case extension.Chromium:
		browsertest.NeedChromium(t)
		b, err = browsertest.StartChromium(f.ctx, browsertest.ChromiumOptions{
			Env: f.env, Extensions: []string{f.ext}, ExtensionID: extension.ChromiumID, Output: w})
	default:
		browsertest.NeedFirefox(t)
		b, err = browsertest.StartFirefox(f.ctx, browsertest.FirefoxOptions{
			Env: f.env, Addons: []browsertest.FirefoxAddon{{Dir: f.ext, ID: extension.GeckoID, UUID: addonUUID}}, Output: w})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// hostPIDs returns the pids of the bpclient-host processes that reached the
// agent (it logs "relay identified" with the host's pid before it answers
// anything the host relays), and the log's size, so that a later call
// counts only new hosts.
func hostPIDs(t *testing.T, env *browsertest.Env, from int64) (map[float64]bool, int64) {
	t.Helper()
	fh, err := os.Open(env.LogFile())
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.Seek(from, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	pids := map[float64]bool{}
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := from
	for sc.Scan() {
		n += int64(len(sc.Bytes())) + 1
		var line struct {
			Message string  `json:"message"`
			HostPID float64 `json:"hostPid"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "relay identified" {
			pids[line.HostPID] = true
		}
	}
	return pids, n
}

// refusalKeys is all a page the agent refused may learn (docs/API.md,
// "Who may talk to the agent"; docs/EXTENSION.md, origin-not-allowed).
var refusalKeys = map[string]bool{"bpclient": true, "type": true, "state": true, "reason": true,
	"canAsk": true, "origin": true, "domain": true, "denied": true, "message": true}

// A page whose origin is not allowed loops connect/disconnect, first in a
// burst before the agent has answered for its origin, then waiting for
// each answer: one bpclient-host asks for the origin, no other starts,
// and the page learns nothing but "not allowed" (no helper version, even
// when it asks for an impossible minHelperVersion).
func TestNotAllowedPageCostsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, extension.Chromium)
	b := startBrowser(t, f, extension.Chromium)
	_, offset := hostPIDs(t, f.env, 0)
	// Not the demo page, which would connect by itself: the server's 404
	// text, where the content script runs all the same.
	p := f.page(b, f.srv.URL(browsertest.SpareDomain, "/no-such-page"))

	const loops = 12
	var states []map[string]any
	// Each connect that waits has a 10 s hang guard.
	if err := p.Eval(f.ctx, `(async () => {
		const states = [];
		addEventListener("message", (ev) => {
			const d = ev.data;
			if (ev.source === window && d && d.bpclient === "ext" && d.type === "state") states.push(d);
		});
		const post = (type, params) => postMessage({bpclient: "page", type, params}, location.origin);
		const answered = async (from) => {
			for (let w = 0; w < 400 && !states.slice(from).some((s) => s.state !== "connecting"); w++) {
				await new Promise((r) => setTimeout(r, 25));
			}
		};
		for (let i = 0; i < `+itoa(loops)+`; i++) {
			post("connect", {client: "loop"});
			post("disconnect");
		}
		for (let i = 0; i < `+itoa(loops)+`; i++) {
			const n = states.length;
			post("connect", {client: "loop", minHelperVersion: "99.0.0"});
			await answered(n);
			post("disconnect");
		}
		return states;
	})()`, &states); err != nil {
		t.Fatal(err)
	}
	refusals := 0
	for _, st := range states {
		if st["state"] == "connecting" {
			continue
		}
		if st["state"] != "origin-not-allowed" {
			t.Errorf("state %v, want origin-not-allowed", st)
			continue
		}
		refusals++
		for k := range st {
			if !refusalKeys[k] {
				t.Errorf("a refused page learns %q: %v", k, st)
			}
		}
	}
	if refusals < loops {
		t.Errorf("%d refusals for %d connects that waited: %v", refusals, loops, states)
	}
	started, _ := hostPIDs(t, f.env, offset)
	if len(started) != 1 {
		t.Errorf("%d connects of a refused page started %d bpclient-host processes (pids %v), want the one that asked", 2*loops, len(started), started)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// A sandboxed document on an allowed https origin (an iframe with the
// sandbox attribute, a page sent with CSP sandbox) has an opaque origin:
// it is refused, never taken for the host in its URL.
func TestSandboxedDocumentRefused(t *testing.T) {
	t.Parallel()
	for _, name := range []string{extension.Chromium, extension.Firefox} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, name)
			b := startBrowser(t, f, name)
			allowedURL := f.srv.URL(browsertest.AllowedDomain, "/demo.html")
			main := f.page(b, allowedURL)
			waitState(t, f.ctx, main, "connected", 0, stateTimeout)

			// The frame asks through its own window, its parent and the top.
			var loaded bool
			if err := main.Eval(f.ctx, `new Promise((resolve) => {
				const fr = document.createElement("iframe");
				fr.sandbox = "allow-scripts";
				fr.srcdoc = "<script>const m = {bpclient: 'page', type: 'connect', params: {client: 'sandbox-frame'}};" +
					"for (const w of [window, parent, top]) w.postMessage(m, '*');<\/script>";
				fr.onload = () => resolve(true);
				document.body.appendChild(fr);
			})`, &loaded); err != nil || !loaded {
				t.Fatalf("sandboxed frame: %v %v", loaded, err)
			}

			sp := f.page(b, allowedURL+"?"+browsertest.SandboxQuery)
			var got struct {
				Origin string           `json:"origin"`
				States []map[string]any `json:"states"`
			}
			if err := sp.Eval(f.ctx, `(async () => {
				const states = [];
				addEventListener("message", (ev) => {
					const d = ev.data;
					if (ev.source === window && d && d.bpclient === "ext" && d.type === "state") states.push(d);
				});
				postMessage({bpclient: "page", type: "connect", params: {client: "sandbox-page"}}, "*");
				for (let w = 0; w < 400 && !states.some((s) => s.state !== "connecting"); w++) {
					await new Promise((r) => setTimeout(r, 25));
				}
				return {origin: self.origin, states};
			})()`, &got); err != nil {
				t.Fatal(err)
			}
			if got.Origin != "null" {
				t.Fatalf("the CSP-sandboxed page has origin %q: the test does not test an opaque origin", got.Origin)
			}
			var final map[string]any
			for _, st := range got.States {
				if st["state"] != "connecting" {
					final = st
				}
			}
			if final == nil || final["state"] != "origin-not-allowed" || final["reason"] != "origin-opaque" || final["canAsk"] != false {
				t.Errorf("sandboxed page got %v, want origin-not-allowed, reason origin-opaque, canAsk false", got.States)
			}
			st, err := browsertest.AgentStatus(f.ctx, f.env)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range st.Clients {
				if strings.HasPrefix(c.Client, "sandbox-") {
					t.Errorf("a sandboxed document has a session: %+v", c)
				}
			}
		})
	}
}
