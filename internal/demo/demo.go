// Package demo is `make demo` (internal/cmd/demo runs it; the e2e tests
// run it in-process). It starts an agent in an isolated HOME and the
// embedded loopback SIP service of `bpclient demo` (a registrar and an
// echo extension, package sip/echo), installs the host manifests there,
// serves the demo Agent Desktop page over https and drives it in a
// headless browser through the real extension and host: the page says
// hello, shows helper.status, configures and registers the softphone,
// calls the echo, and after a while hangs up and unregisters. Everything
// the page receives is printed as it arrives.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/nativemsg"
	"github.com/openbpclient/bpclient/nativemsg/extension"
	"github.com/openbpclient/bpclient/sip"
	"github.com/openbpclient/bpclient/sip/echo"
)

// Options say how to run the demo.
type Options struct {
	Browser string // extension.Chromium (default) or extension.Firefox
	// Bin holds prebuilt bpclient and bpclient-host; "" builds them.
	Bin string
	// For is how long the call lasts; 0: until ctx ends (Ctrl-C).
	For     time.Duration
	Verbose bool // print the browser's output and BPClient.log
	Out     io.Writer
}

// Result is what the page received, in order.
type Result struct {
	Log []browsertest.LogEntry
}

// setupTimeout bounds everything before the call and after it.
const setupTimeout = 3 * time.Minute

// Run runs the demo. When ctx ends during the call the demo still hangs
// up and unregisters (within 20 s) before it returns.
func Run(ctx context.Context, o Options) (res *Result, err error) {
	if o.Browser == "" {
		o.Browser = extension.Chromium
	}
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	switch o.Browser {
	case extension.Chromium:
		if _, err := browsertest.FindChromium(); err != nil {
			return nil, err
		}
	case extension.Firefox:
		if _, err := browsertest.FindFirefox(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown browser %q", o.Browser)
	}
	t0 := time.Now()
	// setup bounds the steps before the call; the call itself runs until
	// o.For or ctx.
	setup, cancelSetup := context.WithTimeout(ctx, setupTimeout)
	defer cancelSetup()
	// A short root: the agent's socket path must fit in 108 bytes.
	root, err := os.MkdirTemp("", "bpc-demo")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(root)
	env, err := browsertest.NewEnv(root)
	if err != nil {
		return nil, err
	}
	env.Extra = soundServer()
	fmt.Fprintf(out, "bpclient demo: the Agent Desktop page → %s + BPClient extension → bpclient-host → bpclient agent → SIP\n\n", o.Browser)

	bins, err := binaries(setup, o.Bin, filepath.Join(root, "bin"))
	if err != nil {
		return nil, err
	}
	step(out, "binaries", "%s, %s", bins.CLI, bins.Host)

	echoServer, err := echo.Start("127.0.0.1")
	if err != nil {
		return nil, fmt.Errorf("embedded SIP service: %w", err)
	}
	defer echoServer.Close()
	step(out, "SIP service", "embedded registrar + echo extension on udp %s (sip/echo, as in `bpclient demo`)", echoServer.Addr())

	if err := browsertest.WriteUserPolicy(env, browsertest.AllowedDomain); err != nil {
		return nil, err
	}
	agent, err := browsertest.StartAgent(setup, bins, env)
	if err != nil {
		return nil, err
	}
	defer func() {
		browsertest.KillAnyAgent(context.Background(), env)
		agent.Stop()
		if o.Verbose || err != nil {
			if log, rerr := os.ReadFile(env.LogFile()); rerr == nil {
				fmt.Fprintf(out, "\nBPClient.log:\n%s", log)
			}
		}
	}()
	st, err := browsertest.AgentStatus(setup, env)
	if err != nil {
		return nil, err
	}
	step(out, "agent", "bpclient agent, pid %d, version %s, HOME=%s", st.PID, st.HelperVersion, env.Home)
	step(out, "policy", "user allow-list: %s", browsertest.AllowedDomain)

	how, err := browsertest.InstallManifests(setup, bins, env)
	if err != nil {
		return nil, err
	}
	manifest := env.ChromiumManifest(nativemsg.HostName)
	if o.Browser == extension.Firefox {
		manifest = env.FirefoxManifest(nativemsg.HostName)
	}
	step(out, "manifests", "%s → %s", how, manifest)

	srv, err := browsertest.StartServer()
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	pageURL := srv.URL(browsertest.AllowedDomain, "/demo.html")
	step(out, "web server", "%s (self-signed; *.test names map to 127.0.0.1)", pageURL)

	extDir := filepath.Join(root, "extension-"+o.Browser)
	if err := extension.Build(extDir, o.Browser, extension.Options{}); err != nil {
		return nil, err
	}
	var browserOut bytes.Buffer
	b, err := startBrowser(setup, o.Browser, env, extDir, &browserOut)
	if err != nil {
		return nil, err
	}
	defer func() {
		b.Close()
		if o.Verbose {
			fmt.Fprintf(out, "\n%s output:\n%s", o.Browser, browserOut.String())
		}
	}()
	step(out, "browser", "headless %s with the extension from %s", o.Browser, extDir)

	page, err := b.NewPage(setup, pageURL)
	if err != nil {
		return nil, err
	}
	const wait = 15 * time.Second
	connected, err := browsertest.WaitLog(setup, page, "state", "connected", 0, wait)
	if err != nil {
		return nil, err
	}
	if _, err := browsertest.WaitLog(setup, page, "status", "", connected.Index, wait); err != nil {
		return nil, err
	}

	fmt.Fprintf(out, "\nWhat the page received (window.bpDemo.log), as it arrives:\n\n")
	pr := &printer{out: out}
	if err := pr.poll(setup, page); err != nil {
		return nil, err
	}

	// The page configures and registers the phone, then calls the echo.
	cfg := echoServer.DemoConfig()
	phoneCfg := map[string]any{"server": cfg.Server, "domain": cfg.Domain, "username": cfg.Username,
		"password": cfg.Password, "displayName": cfg.DisplayName,
		// No sound card: the call sends a tone instead of silence.
		"withoutAudio": "tone"}
	var started struct {
		OK     bool                  `json:"ok"`
		CallID string                `json:"callId"`
		Error  *browsertest.RPCError `json:"error"`
	}
	if err := page.Eval(setup, fmt.Sprintf(`window.bpDemo.softphone.start(%s, %q)`, mustJSON(phoneCfg), echoServer.Target()), &started); err != nil {
		return nil, fmt.Errorf("page: start the softphone: %w", err)
	}
	if err := pr.poll(setup, page); err != nil {
		return nil, err
	}
	if !started.OK {
		return nil, fmt.Errorf("page: the softphone did not start: %v", started.Error)
	}

	// The call: print what the page receives until o.For passes, ctx
	// ends, or the call ends by itself.
	var until <-chan time.Time
	if o.For > 0 {
		until = time.After(o.For)
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	interrupted := false
call:
	for {
		select {
		case <-ctx.Done():
			interrupted = true
			break call
		case <-until:
			break call
		case <-tick.C:
			if err := pr.poll(ctx, page); err != nil {
				if ctx.Err() != nil {
					interrupted = true
					break call
				}
				return nil, err
			}
			if pr.callEnded {
				break call
			}
		}
	}

	// Hang up and unregister, through the page; if the browser is gone
	// (Ctrl-C reaches its process group too), through the agent.
	stopCtx, cancelStop := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancelStop()
	var stopped struct {
		OK    bool                  `json:"ok"`
		Error *browsertest.RPCError `json:"error"`
	}
	if perr := page.Eval(stopCtx, `window.bpDemo.softphone.stop()`, &stopped); perr == nil {
		_ = pr.poll(stopCtx, page)
		if !stopped.OK {
			return nil, fmt.Errorf("page: hang up and unregister: %v", stopped.Error)
		}
	} else {
		fmt.Fprintf(out, "\n  the page is gone (%v); hanging up through the agent\n", perr)
		if err := stopThroughAgent(stopCtx, env, out); err != nil {
			return nil, err
		}
		pr.callEnded, pr.unregistered = true, true
	}

	res = &Result{Log: pr.log}
	if err := pr.summary(); err != nil && !interrupted {
		return res, err
	}
	fmt.Fprintf(out, "\ndemo OK in %v: %s\n", time.Since(t0).Round(10*time.Millisecond), pr.summaryLine())
	return res, nil
}

// soundServer points the isolated agent at the user's own PulseAudio (or
// PipeWire) server: its socket lives under the XDG_RUNTIME_DIR the
// isolation replaces. Without one the agent finds no sound card, says
// so, and the call carries a generated tone.
func soundServer() []string {
	if os.Getenv("PULSE_SERVER") != "" {
		return nil // inherited as it is
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		sock := filepath.Join(dir, "pulse", "native")
		if _, err := os.Stat(sock); err == nil {
			return []string{"PULSE_SERVER=unix:" + sock}
		}
	}
	return nil
}

// stopThroughAgent hangs up every call and unregisters with a client of
// its own, for when the page cannot.
func stopThroughAgent(ctx context.Context, env *browsertest.Env, out io.Writer) error {
	c, _, err := browsertest.Dial(ctx, env, "bpclient-demo")
	if err != nil {
		return err
	}
	defer c.Close()
	var st struct {
		Calls []sip.CallState `json:"calls"`
	}
	if err := c.Call(ctx, "phone.status", nil, &st); err != nil {
		return fmt.Errorf("phone.status: %w", err)
	}
	for _, call := range st.Calls {
		var after sip.CallState
		if err := c.Call(ctx, "call.hangup", map[string]string{"callId": call.CallID}, &after); err != nil {
			return fmt.Errorf("call.hangup: %w", err)
		}
		fmt.Fprintf(out, "  call.hangup %s → %s\n", call.CallID, after.State)
	}
	var reg sip.RegistrationState
	if err := c.Call(ctx, "phone.unregister", nil, &reg); err != nil {
		return fmt.Errorf("phone.unregister: %w", err)
	}
	fmt.Fprintf(out, "  phone.unregister → %s\n", reg.State)
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

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// printer prints the page's log as it grows, and keeps what the summary
// needs.
type printer struct {
	out   io.Writer
	log   []browsertest.LogEntry
	start int64

	registered, unregistered bool
	connected                string // the codec
	callEnded                bool
	endReason                string
	reports                  int
	lastMOS                  float64
	audio                    string // what a call without sound device sends
}

// poll prints the entries the page received since the last poll.
func (p *printer) poll(ctx context.Context, page browsertest.Page) error {
	more, err := browsertest.DemoLogSince(ctx, page, len(p.log))
	if err != nil {
		return err
	}
	for _, e := range more {
		if len(p.log) == 0 {
			p.start = e.T
		}
		e.Index = len(p.log)
		p.log = append(p.log, e)
		p.note(e)
		p.print(e)
	}
	return nil
}

func (p *printer) note(e browsertest.LogEntry) {
	if e.Kind != "event" {
		return
	}
	switch e.Name {
	case "registration.state":
		var r sip.RegistrationState
		_ = e.Decode(&r)
		switch r.State {
		case sip.Registered:
			p.registered = true
		case sip.Unregistered:
			p.unregistered = p.registered
		}
	case "call.state":
		var c sip.CallState
		_ = e.Decode(&c)
		switch c.State {
		case sip.StateConnected:
			p.connected = c.Codec
		case sip.StateEnded:
			p.callEnded, p.endReason = true, c.Reason
		}
	case "quality.report":
		var q sip.QualityReport
		if e.Decode(&q) == nil && q.MOS > 0 {
			p.reports++
			p.lastMOS = q.MOS
		}
	case "call.audio":
		var a struct {
			Source string `json:"source"`
		}
		_ = e.Decode(&a)
		p.audio = a.Source
	}
}

// summary says what went wrong, if anything did.
func (p *printer) summary() error {
	var missing []string
	if !p.registered {
		missing = append(missing, "no registration")
	}
	if p.connected == "" {
		missing = append(missing, "the call never connected")
	}
	if p.endReason != "" && p.endReason != "local hangup" {
		missing = append(missing, "the call ended by itself: "+p.endReason)
	}
	if len(missing) > 0 {
		return fmt.Errorf("demo: %s", strings.Join(missing, "; "))
	}
	return nil
}

func (p *printer) summaryLine() string {
	s := fmt.Sprintf("registered, connected (%s), %d quality report(s)", p.connected, p.reports)
	if p.reports > 0 {
		s += fmt.Sprintf(", last MOS %.2f", p.lastMOS)
	}
	if p.audio != "" {
		s += ", no sound card: sent a " + p.audio
	}
	if p.callEnded {
		s += ", hung up"
	}
	if p.unregistered {
		s += ", unregistered"
	}
	return s
}

func (p *printer) print(e browsertest.LogEntry) {
	at := fmt.Sprintf("+%6.3fs", float64(e.T-p.start)/1000)
	pad := strings.Repeat(" ", len(at)+2)
	switch e.Kind {
	case "hello":
		fmt.Fprintf(p.out, "  %s  hello    %s\n", at, indentJSON(e.Data, pad+"         "))
	case "status":
		var st struct {
			HelperVersion string  `json:"helperVersion"`
			PID           int     `json:"pid"`
			OS            string  `json:"os"`
			Arch          string  `json:"arch"`
			Uptime        float64 `json:"uptimeSeconds"`
			Clients       []browsertest.StatusClient
		}
		_ = json.Unmarshal(e.Data, &st)
		fmt.Fprintf(p.out, "  %s  status   helper %s on %s/%s, pid %d, up %.1fs, %d client(s):\n",
			at, st.HelperVersion, st.OS, st.Arch, st.PID, st.Uptime, len(st.Clients))
		for _, c := range st.Clients {
			who := c.Client
			if c.PageOrigin != "" {
				who += " from " + c.PageOrigin
			}
			if c.Browser != "" {
				who += " via " + c.Browser
			}
			fmt.Fprintf(p.out, "  %s         %s %s: %s\n", pad, c.SessionID, c.Kind, who)
		}
	case "request":
		var r struct {
			Params json.RawMessage `json:"params"`
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		_ = json.Unmarshal(e.Data, &r)
		answer := "→ " + string(r.Result)
		if len(r.Error) > 0 {
			answer = "→ error " + string(r.Error)
		}
		params := string(r.Params)
		if params == "null" || params == "" {
			params = ""
		} else {
			params += " "
		}
		fmt.Fprintf(p.out, "  %s  request  %s %s%s\n", at, e.Name, params, answer)
	case "event":
		fmt.Fprintf(p.out, "  %s  event    %s %s\n", at, e.Name, describeEvent(e))
	default:
		data := string(e.Data)
		if data == "{}" || data == "null" {
			data = ""
		}
		fmt.Fprintf(p.out, "  %s  %-8s %s %s\n", at, e.Kind, e.Name, data)
	}
}

// describeEvent spells out the softphone's events; others stay JSON.
func describeEvent(e browsertest.LogEntry) string {
	switch e.Name {
	case "registration.state":
		var r sip.RegistrationState
		if e.Decode(&r) == nil {
			s := r.State
			if r.Server != "" {
				s += " at " + r.Server
			}
			if r.Expires > 0 {
				s += fmt.Sprintf(", expires in %d s", r.Expires)
			}
			if r.Reason != "" {
				s += ": " + r.Reason
			}
			return s
		}
	case "call.state":
		var c sip.CallState
		if e.Decode(&c) == nil {
			s := fmt.Sprintf("%s %s %s", c.CallID, c.Direction, c.State)
			if c.Codec != "" {
				s += " (" + c.Codec + ")"
			}
			if c.Reason != "" {
				s += ": " + c.Reason
			}
			return s + " " + c.Remote
		}
	case "call.audio":
		var a struct {
			CallID string `json:"callId"`
			Source string `json:"source"`
			Reason string `json:"reason"`
		}
		if e.Decode(&a) == nil {
			what := "silence"
			if a.Source == "tone" {
				what = "a generated 440 Hz tone"
			}
			return fmt.Sprintf("%s %s: the call sends %s", a.CallID, a.Reason, what)
		}
	case "quality.report":
		var q sip.QualityReport
		if e.Decode(&q) == nil {
			return fmt.Sprintf("%s %s: MOS %.2f, RTT %.0f ms, jitter %.1f ms, loss %.1f%%", q.CallID, q.Codec, q.MOS, q.RTTMs, q.JitterMs, q.LossPct)
		}
	}
	return string(e.Data)
}

func indentJSON(raw json.RawMessage, prefix string) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, prefix, "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}
