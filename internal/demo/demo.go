// Command demo is `make demo`: it builds bpclient and bpclient-host,
// starts an agent in an isolated HOME, installs the host manifests there,
// serves the demo Agent Desktop page over https, drives it in a headless
// browser through the real extension and host, and prints what the page
// received: the hello answer, helper.status and events.
//
//	go run ./internal/cmd/demo [-browser chromium|firefox] [-bin DIR] [-v]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/nativemsg/extension"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	browser string
	bin     string
	verbose bool
}

func run() error {
	var o options
	flag.StringVar(&o.browser, "browser", "chromium", "browser to drive: chromium or firefox")
	flag.StringVar(&o.bin, "bin", "", "use bpclient and bpclient-host from this directory instead of building them")
	flag.BoolVar(&o.verbose, "v", false, "print the browser's output and BPClient.log")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	return demo(ctx, o, os.Stdout)
}

func demo(ctx context.Context, o options, out io.Writer) (err error) {
	switch o.browser {
	case extension.Chromium:
		if _, err := browsertest.FindChromium(); err != nil {
			return err
		}
	case extension.Firefox:
		if _, err := browsertest.FindFirefox(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown browser %q", o.browser)
	}
	t0 := time.Now()
	root, err := os.MkdirTemp("", "bpc-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	env, err := browsertest.NewEnv(root)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "bpclient demo: the Agent Desktop page → %s + BPClient extension → bpclient-host → bpclient agent\n\n", o.browser)

	bins, err := binaries(ctx, o.bin, filepath.Join(root, "bin"))
	if err != nil {
		return err
	}
	step(out, "binaries", "%s, %s", bins.CLI, bins.Host)

	if err := browsertest.WriteUserPolicy(env, browsertest.AllowedDomain); err != nil {
		return err
	}
	agent, err := browsertest.StartAgent(ctx, bins, env)
	if err != nil {
		return err
	}
	defer func() {
		browsertest.KillAnyAgent(context.Background(), env)
		agent.Stop()
		if o.verbose || err != nil {
			if log, rerr := os.ReadFile(env.LogFile()); rerr == nil {
				fmt.Fprintf(out, "\nBPClient.log:\n%s", log)
			}
		}
	}()
	st, err := browsertest.AgentStatus(ctx, env)
	if err != nil {
		return err
	}
	step(out, "agent", "bpclient agent, pid %d, version %s, HOME=%s", st.PID, st.HelperVersion, env.Home)
	step(out, "policy", "user allow-list: %s", browsertest.AllowedDomain)

	how, err := browsertest.InstallManifests(ctx, bins, env)
	if err != nil {
		return err
	}
	manifest := env.ChromiumManifest(nativemsg.HostName)
	if o.browser == extension.Firefox {
		manifest = env.FirefoxManifest(nativemsg.HostName)
	}
	step(out, "manifests", "%s → %s", how, manifest)

	srv, err := browsertest.StartServer()
	if err != nil {
		return err
	}
	defer srv.Close()
	pageURL := srv.URL(browsertest.AllowedDomain, "/demo.html")
	step(out, "web server", "%s (self-signed; *.test names map to 127.0.0.1)", pageURL)

	extDir := filepath.Join(root, "extension-"+o.browser)
	if err := extension.Build(extDir, o.browser, extension.Options{}); err != nil {
		return err
	}
	var browserOut bytes.Buffer
	b, err := startBrowser(ctx, o.browser, env, extDir, &browserOut)
	if err != nil {
		return err
	}
	defer func() {
		b.Close()
		if o.verbose {
			fmt.Fprintf(out, "\n%s output:\n%s", o.browser, browserOut.String())
		}
	}()
	step(out, "browser", "headless %s with the extension from %s", o.browser, extDir)

	page, err := b.NewPage(ctx, pageURL)
	if err != nil {
		return err
	}
	const wait = 15 * time.Second
	connected, err := browsertest.WaitLog(ctx, page, "state", "connected", 0, wait)
	if err != nil {
		return err
	}
	if _, err := browsertest.WaitLog(ctx, page, "status", "", connected.Index, wait); err != nil {
		return err
	}

	// Events: a second client says hello and leaves (helper.clientsChanged
	// twice), and a local client changes the allow-list (policy.changed).
	from := connected.Index
	c, _, err := browsertest.Dial(ctx, env, "bpclient-demo-second-client")
	if err != nil {
		return err
	}
	ev, err := browsertest.WaitLog(ctx, page, "event", "helper.clientsChanged", from, wait)
	if err != nil {
		return err
	}
	var pol json.RawMessage
	if err := c.Call(ctx, "policy.allow", map[string]string{"domain": browsertest.SpareDomain}, &pol); err != nil {
		return fmt.Errorf("policy.allow: %w", err)
	}
	if ev, err = browsertest.WaitLog(ctx, page, "event", "policy.changed", ev.Index+1, wait); err != nil {
		return err
	}
	if err := c.Call(ctx, "policy.remove", map[string]string{"domain": browsertest.SpareDomain}, &pol); err != nil {
		return fmt.Errorf("policy.remove: %w", err)
	}
	if ev, err = browsertest.WaitLog(ctx, page, "event", "policy.changed", ev.Index+1, wait); err != nil {
		return err
	}
	c.Close()
	if _, err := browsertest.WaitLog(ctx, page, "event", "helper.clientsChanged", ev.Index+1, wait); err != nil {
		return err
	}

	log, err := browsertest.DemoLog(ctx, page)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nWhat the page received (window.bpDemo.log, %d entries):\n\n", len(log))
	printLog(out, log)
	fmt.Fprintf(out, "\ndemo OK in %v\n", time.Since(t0).Round(10*time.Millisecond))
	return nil
}

func binaries(ctx context.Context, prebuilt, dir string) (*browsertest.Binaries, error) {
	if prebuilt == "" {
		return browsertest.BuildBinaries(ctx, dir)
	}
	abs, err := filepath.Abs(prebuilt)
	if err != nil {
		return nil, err
	}
	b := &browsertest.Binaries{Dir: abs, CLI: filepath.Join(abs, "bpclient"), Host: filepath.Join(abs, "bpclient-host")}
	for _, p := range []string{b.CLI, b.Host} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("-bin %s: %w", prebuilt, err)
		}
	}
	if b.Source, err = browsertest.ModuleRoot(); err != nil {
		return nil, err
	}
	return b, nil
}

func startBrowser(ctx context.Context, name string, env *browsertest.Env, ext string, out io.Writer) (browsertest.Browser, error) {
	if name == extension.Firefox {
		return browsertest.StartFirefox(ctx, browsertest.FirefoxOptions{
			Env:    env,
			Addons: []browsertest.FirefoxAddon{{Dir: ext, ID: extension.GeckoID}},
			Output: out,
		})
	}
	return browsertest.StartChromium(ctx, browsertest.ChromiumOptions{
		Env: env, Extensions: []string{ext}, ExtensionID: extension.ChromiumID, Output: out,
	})
}

func step(out io.Writer, name, format string, args ...any) {
	fmt.Fprintf(out, "  %-11s %s\n", name, fmt.Sprintf(format, args...))
}

// printLog prints the page's log, one line per entry, with the hello
// answer and helper.status spelled out.
func printLog(out io.Writer, log []browsertest.LogEntry) {
	if len(log) == 0 {
		return
	}
	start := log[0].T
	for _, e := range log {
		at := fmt.Sprintf("+%5.3fs", float64(e.T-start)/1000)
		switch e.Kind {
		case "hello":
			fmt.Fprintf(out, "  %s  hello   %s\n", at, indentJSON(e.Data))
		case "status":
			var st struct {
				HelperVersion string  `json:"helperVersion"`
				PID           int     `json:"pid"`
				OS            string  `json:"os"`
				Arch          string  `json:"arch"`
				Uptime        float64 `json:"uptimeSeconds"`
				Clients       []browsertest.StatusClient
			}
			json.Unmarshal(e.Data, &st)
			fmt.Fprintf(out, "  %s  status  helper %s on %s/%s, pid %d, up %.1fs, %d client(s):\n",
				at, st.HelperVersion, st.OS, st.Arch, st.PID, st.Uptime, len(st.Clients))
			for _, c := range st.Clients {
				who := c.Client
				if c.PageOrigin != "" {
					who += " from " + c.PageOrigin
				}
				if c.Browser != "" {
					who += " via " + c.Browser
				}
				fmt.Fprintf(out, "  %s            %s %s: %s\n", strings.Repeat(" ", len(at)-2), c.SessionID, c.Kind, who)
			}
		default:
			data := string(e.Data)
			if data == "{}" || data == "null" {
				data = ""
			}
			fmt.Fprintf(out, "  %s  %-7s %s %s\n", at, e.Kind, e.Name, data)
		}
	}
}

func indentJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "                    ", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}
