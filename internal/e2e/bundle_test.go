//go:build linux

package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/support/chart"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/siptest"
)

// The numbers of the bundle test's accounts: phone numbers, so that
// --redact-numbers has something to mask.
const (
	bundleCaller = "4915550101"
	bundleCallee = "4915550102"
)

// TestBundleOfASecureCall: the real agent places a secure call (SIP over
// TLS through Kamailio, SRTP keyed with SDES) to baresip; then `bpclient
// logs collect` writes a zip that holds none of the secrets the call
// used (the SIP passwords, the digest response and both sides' SRTP
// master keys, which Kamailio logged on the way), whose quality.png
// decodes and shows every metric's series, whose CSV has the call's
// reports; --redact-numbers leaves neither number in it; and a large log
// is cut to keep the zip within --max-mb.
func TestBundleOfASecureCall(t *testing.T) {
	bins := binaries(t)
	// The picture is drawn by bpclient-chart, installed beside bpclient.
	buildCtx, cancelBuild := context.WithTimeout(context.Background(), 5*time.Minute)
	chartExe, err := browsertest.BuildChart(buildCtx, bins)
	if err != nil {
		t.Fatal(err)
	}
	cancelBuild()
	root := t.TempDir()
	env, err := browsertest.NewEnv(filepath.Join(root, "e"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	agent, err := browsertest.StartAgent(ctx, bins, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Stop() })

	const password, calleePassword = "pw-Bundle-7c31e9", "pw-Callee-02d5a8"
	ca := siptest.NewCA(t, "bundle test CA")
	cert := ca.Loopback(t)
	k := siptest.StartKamailio(t, siptest.KamailioOptions{TLS: &cert, LogSecrets: true,
		Users: []siptest.User{{Name: bundleCaller, Password: password}, {Name: bundleCallee, Password: calleePassword}}})
	wav := filepath.Join(root, "tone.wav")
	f, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	if err := dsp.WriteWAV(f, 8000, 1, dsp.Sine(40*8000, 440, 8000, 0.3)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	caFile := filepath.Join(root, "ca.pem")
	if err := os.WriteFile(caFile, []byte(ca.PEM), 0o644); err != nil {
		t.Fatal(err)
	}
	siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.User{Name: bundleCallee, Password: calleePassword},
		Registrar: k.TLSAddr(), Transport: "tls", CAFile: caFile, Source: wav, MediaEnc: "srtp-mand"})

	callID := secureCall(t, ctx, env, k, password, ca.PEM)

	// What the call used, as Kamailio saw it pass.
	secrets := map[string]string{"the caller's password": password, "the callee's password": calleePassword}
	for i, m := range regexp.MustCompile(`response="?([0-9a-f]{32,})`).FindAllStringSubmatch(k.Log(), -1) {
		secrets[fmt.Sprintf("digest response %d", i+1)] = m[1]
	}
	keys := map[string]bool{}
	for _, m := range regexp.MustCompile(`a=crypto:\d+ \S+ inline:([A-Za-z0-9+/=]+)`).FindAllStringSubmatch(k.Log(), -1) {
		keys[m[1]] = true
	}
	if len(secrets) < 3 || len(keys) < 2 {
		t.Fatalf("Kamailio's log shows %d digest responses and %d SRTP keys, want both sides' keys and a response:\n%s",
			len(secrets)-2, len(keys), k.Log())
	}
	for key := range keys {
		secrets["SRTP key "+key[:6]] = key
	}
	// The TLS server's private key, in case any of it was logged.
	for i, line := range strings.Split(cert.KeyPEM, "\n") {
		if len(line) > 40 {
			secrets[fmt.Sprintf("TLS key line %d", i)] = line
		}
	}

	// The agent logs none of them; a library's debug line that did is
	// what the bundle's scrubbing is for: one in each form they take.
	var slipped strings.Builder
	stamp := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	for name, s := range secrets {
		switch {
		case strings.HasPrefix(name, "digest"):
			fmt.Fprintf(&slipped, `{"time":%q,"msg":"Authorization: Digest username=\"%s\", response=\"%s\""}`+"\n", stamp, bundleCaller, s)
		case strings.HasPrefix(name, "SRTP"):
			fmt.Fprintf(&slipped, `{"time":%q,"sdp":"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^31"}`+"\n", stamp, s)
		case strings.Contains(name, "password"):
			fmt.Fprintf(&slipped, `{"time":%q,"params":{"username":%q,"password":%q}}`+"\n", stamp, bundleCaller, s)
		}
	}
	older := filepath.Join(filepath.Dir(env.LogFile()), "BPClient-"+time.Now().Add(-time.Minute).UTC().Format("2006-01-02T15-04-05.000")+".log")
	if err := os.WriteFile(older, []byte(slipped.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	plain := collect(t, bins, env, root, "plain.zip")
	if _, ok := plain["logs/"+filepath.Base(older)]; !ok {
		t.Errorf("the bundle has no %s", filepath.Base(older))
	}
	all := joinEntries(plain)
	for name, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("the bundle holds %s", name)
		}
	}
	for _, s := range []string{"PRIVATE KEY", "inline:" + firstKey(keys)} {
		if strings.Contains(all, s) {
			t.Errorf("the bundle holds %q", s)
		}
	}
	for _, name := range []string{"doctor.json", "version.json", "os.json", "history.json", "install/status.json", "logs/BPClient.log", "MANIFEST.json"} {
		if _, ok := plain[name]; !ok {
			t.Errorf("the bundle has no %s (it has %v)", name, names(plain))
		}
	}
	if !strings.Contains(plain["history.json"], `"state": "registered"`) {
		t.Errorf("history.json has no registration:\n%s", plain["history.json"])
	}
	if !strings.Contains(all, bundleCallee) {
		t.Errorf("the plain bundle does not name the number called: the redaction test below would prove nothing")
	}
	checkCallLines(t, plain["logs/BPClient.log"], callID)
	// The log itself, unscrubbed, and the doctor hold none of them
	// either: the scrubbing is for libraries, not for our own lines.
	checkNoSecrets(t, "BPClient.log", string(mustReadFile(t, env.LogFile())), secrets)
	checkNoSecrets(t, "bpclient doctor --json", runDoctor(t, bins, env), secrets)
	checkCallCSV(t, plain)
	checkQualityPNG(t, plain["quality.png"])

	redacted := collect(t, bins, env, root, "redacted.zip", "--redact-numbers")
	for name, text := range redacted {
		for _, n := range []string{bundleCaller, bundleCallee} {
			if strings.Contains(text, n) {
				t.Errorf("--redact-numbers: %s holds %s", name, n)
			}
		}
	}

	// The popup's "Collect logs" (here a local client: it sees the
	// path): the real agent writes the bundle into Downloads by a child
	// `bpclient logs collect`, which asks the agent for the history.
	fromAgent := agentCollect(t, ctx, env)
	if filepath.Dir(fromAgent) != filepath.Join(env.Home, "Downloads") {
		t.Errorf("the agent saved the bundle to %s, not to Downloads", fromAgent)
	}
	if zr, err := zip.OpenReader(fromAgent); err != nil {
		t.Errorf("the agent's bundle: %v", err)
	} else {
		found := false
		for _, f := range zr.File {
			found = found || f.Name == "quality.png"
		}
		zr.Close()
		if !found {
			t.Errorf("the agent's bundle has no quality.png")
		}
	}

	// Without bpclient-chart the bundle keeps the CSVs and says why it
	// has no picture.
	if err := os.Rename(chartExe, chartExe+".away"); err != nil {
		t.Fatal(err)
	}
	noChart := collect(t, bins, env, root, "nochart.zip")
	if err := os.Rename(chartExe+".away", chartExe); err != nil {
		t.Fatal(err)
	}
	if _, ok := noChart["quality.png"]; ok {
		t.Errorf("a quality.png without bpclient-chart")
	}
	if !strings.Contains(noChart["MANIFEST.json"], "bpclient-chart is not installed next to bpclient") {
		t.Errorf("the manifest does not say the picture is missing and why:\n%s", noChart["MANIFEST.json"])
	}
	checkCallCSV(t, noChart)

	// A large rotated log, beyond what a 1 MiB bundle takes.
	big := filepath.Join(filepath.Dir(env.LogFile()), "BPClient-"+time.Now().UTC().Format("2006-01-02T15-04-05.000")+".log")
	writeNoisyLog(t, big, 12<<20)
	out := filepath.Join(root, "small.zip")
	small := collect(t, bins, env, root, "small.zip", "--max-mb", "1")
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 1<<20 {
		t.Errorf("--max-mb 1 wrote %d bytes", info.Size())
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("the bundle's mode is %v, want 0600", info.Mode().Perm())
	}
	if !strings.Contains(small["MANIFEST.json"], "left out") {
		t.Errorf("the manifest does not say what the limit left out:\n%s", small["MANIFEST.json"])
	}
	if !strings.Contains(small["logs/BPClient.log"], "call connected") {
		t.Errorf("the newest log lost the call's lines to the limit")
	}

	// With the agent gone, the log tells the registration and the call.
	if err := agent.Stop(); err != nil {
		t.Fatal(err)
	}
	offline := collect(t, bins, env, root, "offline.zip")
	h := offline["history-from-log.json"]
	if !strings.Contains(h, `"state": "registered"`) || !strings.Contains(h, callID) || !strings.Contains(h, `"mos"`) ||
		!strings.Contains(offline["MANIFEST.json"], "history.json") {
		t.Errorf("without the agent: history-from-log.json %s\nmanifest %s", h, offline["MANIFEST.json"])
	}

	// Started again, the agent still has the call's summary: a bundle
	// after a restart shows the last calls. The file that keeps them is
	// private and holds no secret.
	saved := filepath.Join(filepath.Dir(env.LogFile()), "support-history.json")
	if info, err := os.Stat(saved); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the saved support history: %v, %v; want 0600", info, err)
	}
	checkNoSecrets(t, "support-history.json", string(mustReadFile(t, saved)), secrets)
	if agent, err = browsertest.StartAgent(ctx, bins, env); err != nil {
		t.Fatal(err)
	}
	restarted := collect(t, bins, env, root, "restarted.zip")
	var hist struct {
		Calls []struct {
			CallID   string `json:"callId"`
			Restored bool   `json:"restored"`
			Summary  *struct {
				Reports int     `json:"reports"`
				MinMOS  float64 `json:"minMos"`
			} `json:"summary"`
		} `json:"calls"`
	}
	if err := json.Unmarshal([]byte(restarted["history.json"]), &hist); err != nil {
		t.Fatalf("history.json after the restart: %v\n%s", err, restarted["history.json"])
	}
	if len(hist.Calls) != 1 || hist.Calls[0].CallID != callID || !hist.Calls[0].Restored ||
		hist.Calls[0].Summary == nil || hist.Calls[0].Summary.Reports < 2 || hist.Calls[0].Summary.MinMOS < 1 {
		t.Errorf("history.json after the restart: %s; want call %s restored with its quality summary", restarted["history.json"], callID)
	}
}

// checkNoSecrets fails for each secret that text holds.
func checkNoSecrets(t *testing.T, what, text string, secrets map[string]string) {
	t.Helper()
	for name, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s holds %s", what, name)
		}
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// runDoctor runs `bpclient doctor --json` in env and returns its output
// (it exits 4 when a check failed: not an error here).
func runDoctor(t *testing.T, bins *browsertest.Binaries, env *browsertest.Env) string {
	t.Helper()
	cmd := exec.Command(bins.CLI, "doctor", "--json")
	cmd.Env = env.Environ()
	out, err := cmd.Output()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("bpclient doctor: %v", err)
	}
	if !json.Valid(out) {
		t.Fatalf("bpclient doctor --json printed:\n%s", out)
	}
	return string(out)
}

// secureCall configures the agent's phone in secure mode, registers,
// calls the callee for two quality reports and hangs up.
func secureCall(t *testing.T, ctx context.Context, env *browsertest.Env, k *siptest.Kamailio, password, caPEM string) string {
	t.Helper()
	c, err := client.Dial(ctx, env.AgentSocket())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	call := func(method string, params, result any) {
		t.Helper()
		if err := c.Call(ctx, method, params, result); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
	}
	call("helper.hello", map[string]string{"client": "bpclient-cli"}, nil)
	call("phone.configure", map[string]any{"mode": "secure", "server": k.TLSAddr(), "domain": "127.0.0.1",
		"username": bundleCaller, "password": password, "caPem": caPEM, "codecs": []string{"PCMU"}}, nil)
	call("phone.register", nil, nil)
	waitEvent(t, c, "registration.state", `"registered"`, 15*time.Second)
	var dial struct {
		CallID string `json:"callId"`
	}
	call("call.dial", map[string]string{"to": bundleCallee}, &dial)
	waitEvent(t, c, "call.state", `"connected"`, 15*time.Second)
	waitEvent(t, c, "quality.report", dial.CallID, 10*time.Second)
	waitEvent(t, c, "quality.report", dial.CallID, 10*time.Second)
	call("call.hangup", map[string]string{"callId": dial.CallID}, nil)
	waitEvent(t, c, "call.state", `"ended"`, 10*time.Second)
	return dial.CallID
}

func waitEvent(t *testing.T, c *client.Client, method, sub string, within time.Duration) string {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("the agent closed the session waiting for %s %s", method, sub)
			}
			if ev.Method == method && strings.Contains(string(ev.Params), sub) {
				return string(ev.Params)
			}
		case <-deadline:
			t.Fatalf("no %s with %s within %v", method, sub, within)
		}
	}
}

// agentCollect asks the agent for logs.collect and returns the path.
func agentCollect(t *testing.T, ctx context.Context, env *browsertest.Env) string {
	t.Helper()
	c, err := client.Dial(ctx, env.AgentSocket())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Call(ctx, "helper.hello", map[string]string{"client": "bpclient-cli"}, nil); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Saved bool   `json:"saved"`
		Path  string `json:"path"`
	}
	if err := c.Call(ctx, "logs.collect", nil, &res); err != nil || !res.Saved || res.Path == "" {
		t.Fatalf("logs.collect: %+v %v", res, err)
	}
	return res.Path
}

// collect runs `bpclient logs collect -o root/name args...` in env and
// returns the zip's entries.
func collect(t *testing.T, bins *browsertest.Binaries, env *browsertest.Env, root, name string, args ...string) map[string]string {
	t.Helper()
	out := filepath.Join(root, name)
	cmd := exec.Command(bins.CLI, append([]string{"logs", "collect", "-o", out}, args...)...)
	cmd.Env = env.Environ()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bpclient logs collect: %v\n%s", err, b)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	entries := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		entries[f.Name] = string(data)
	}
	return entries
}

func joinEntries(entries map[string]string) string {
	var b strings.Builder
	for name, text := range entries {
		b.WriteString(name + "\n" + text + "\n")
	}
	return b.String()
}

func names(entries map[string]string) []string {
	var out []string
	for n := range entries {
		out = append(out, n)
	}
	return out
}

func firstKey(keys map[string]bool) string {
	for k := range keys {
		return k
	}
	return ""
}

// checkCallLines: one grep for the call id tells the call's story (its
// states from dialing to ended, who placed and hung it up, its quality
// every report), and no line about a call lacks it.
func checkCallLines(t *testing.T, log, callID string) {
	t.Helper()
	var story []string
	quality := 0
	for _, line := range strings.Split(log, "\n") {
		var l struct {
			Call    string   `json:"call"`
			State   string   `json:"state"`
			Message string   `json:"message"`
			Method  string   `json:"method"`
			Session string   `json:"session"`
			Kind    string   `json:"kind"`
			MOS     *float64 `json:"mos"`
			Loss    *float64 `json:"lossPct"`
			Jitter  *float64 `json:"jitterMs"`
			RTT     *float64 `json:"rttMs"`
		}
		if json.Unmarshal([]byte(line), &l) != nil {
			continue
		}
		if l.Call == callID {
			switch l.Message {
			case "call request":
				// The CLI's session placed it: a page's would also
				// carry its origin.
				if l.Session == "" || l.Kind != "local" {
					t.Errorf("a call request without who asked: %s", line)
				}
				story = append(story, "request "+l.Method)
			case "quality":
				if l.MOS == nil || l.Loss == nil || l.Jitter == nil || l.RTT == nil || *l.MOS < 1 {
					t.Errorf("a quality line without MOS, loss, jitter and RTT: %s", line)
				}
				quality++
			default:
				story = append(story, l.Message+" "+l.State)
			}
			continue
		}
		if m := strings.ToLower(l.Message); strings.Contains(m, "call") || strings.Contains(m, "rtp") || strings.Contains(m, "srtp") {
			t.Errorf("a line about a call without its id: %s", line)
		}
	}
	got := strings.Join(story, "; ")
	for _, want := range []string{"request call.dial", "call state dialing", "call connected", "call state connected", "request call.hangup", "call state ended"} {
		if !strings.Contains(got, want) {
			t.Errorf("the call's lines lack %q: %s", want, got)
		}
	}
	// secureCall waits for two reports.
	if quality < 2 {
		t.Errorf("%d quality lines for the call, want one per report (2 or more)", quality)
	}
}

// checkCallCSV: one CSV for the call, with a row per quality report.
func checkCallCSV(t *testing.T, entries map[string]string) {
	t.Helper()
	for name, text := range entries {
		if strings.HasPrefix(name, "calls/01-") && strings.HasSuffix(name, ".csv") {
			lines := strings.Split(strings.TrimSpace(text), "\n")
			if len(lines) < 3 || lines[0] != "time,seconds,mos,lossPct,jitterMs,rttMs,warnings" {
				t.Errorf("%s:\n%s", name, text)
			}
			return
		}
	}
	t.Errorf("no calls/01-*.csv in %v", names(entries))
}

// checkQualityPNG: the picture decodes, and its one panel holds each
// metric's line in that metric's colour.
func checkQualityPNG(t *testing.T, data string) {
	t.Helper()
	img, err := png.Decode(strings.NewReader(data))
	if err != nil {
		t.Fatalf("quality.png: %v", err)
	}
	b := img.Bounds()
	for j, m := range chart.Metrics {
		cell := image.Rect(b.Min.X+b.Dx()*j/len(chart.Metrics), b.Min.Y, b.Min.X+b.Dx()*(j+1)/len(chart.Metrics), b.Max.Y)
		if n := chart.CountColor(img, cell, m.Color); n < 50 {
			t.Errorf("quality.png: %d pixels of %s's colour in its plot", n, m.Title)
		}
	}
}

// writeNoisyLog writes size bytes of log lines that compress poorly,
// stamped now.
func writeNoisyLog(t *testing.T, path string, size int) {
	t.Helper()
	var buf bytes.Buffer
	rnd := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 24)
	stamp := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	for i := 0; buf.Len() < size; i++ {
		for j := range noise {
			noise[j] = byte(rnd.Uint32())
		}
		line, _ := json.Marshal(map[string]any{"level": "debug", "time": stamp, "n": i, "noise": hex.EncodeToString(noise)})
		buf.Write(append(line, '\n'))
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
