//go:build linux

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/jsonrpc"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/desktoptest"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/internal/soundtest"
	"github.com/openbpclient/bpclient/internal/testpeers"
	"github.com/openbpclient/bpclient/nativemsg"
)

// The tones of the wine calls: what our microphone hears (fed into the
// "mic" sink, whose monitor wine offers as a capture device) and what
// baresip plays. Neither is a call-progress tone (us: 440 + 480 Hz) nor
// audio.test's 1 kHz.
const (
	wineMicHz     = 700.0
	wineBaresipHz = 1250.0
)

// wineCallFor is how long each call's audio is recorded once connected.
const wineCallFor = 5 * time.Second

// TestWineCall: the release's Windows exes under wine, driven as a
// browser drives them. A Linux test writes native-messaging frames to
// `wine bpclient-host.exe`, which starts bpclient.exe and reaches it over
// its named pipe; the agent registers with Kamailio and calls baresip and
// is called by it (answered with the page's call.answer), with wine's
// audio (winepulse) on a private PulseAudio. Once with WASAPI devices and
// once with MME devices chosen with audio.select, our microphone's tone
// reaches baresip and baresip's reaches our speaker, checked by frequency.
// Then the same calls through the agent as it runs after login
// (bpclient-agent.exe, the GUI subsystem), which a new host finds running.
// One prefix for everything: a prefix boots slowly.
//
// Run by scripts/test.sh's release stage (BPCLIENT_WINE_E2E=1), where the
// Windows build's tools are installed.
func TestWineCall(t *testing.T) {
	if os.Getenv("BPCLIENT_WINE_E2E") == "" {
		t.Skip("SKIP: set BPCLIENT_WINE_E2E=1 to run the Windows build under wine (scripts/test.sh's release stage does)")
	}
	if !needWine(t) {
		return
	}
	start := time.Now()
	root := t.TempDir()
	sound := soundtest.Start(t, soundtest.PulseAudio) // PULSE_SERVER for winepulse
	// The system's default devices elsewhere (before wine reads them): the
	// tones pass only through the devices audio.select chose.
	sound.Output(t, "pactl", "set-default-sink", "headset")
	sound.Output(t, "pactl", "set-default-source", "headset.monitor")
	exes := buildWindowsExes(t, filepath.Join(root, "bin"))
	t.Logf("Windows exes built in %v", time.Since(start).Round(time.Millisecond))
	prefix := bootWinePrefix(t, filepath.Join(root, "wine"))
	// A private Xvfb, for the incoming call's pop-up window (issue 14).
	desk := desktoptest.StartX(t)
	if desk == nil {
		return
	}
	prefix.Display = desk.Display

	prefix.AllowPageOrigin(t)
	logFile := filepath.Join(prefix.UnixPath(prefix.Getenv(t, "LOCALAPPDATA")), "Temp", "logs", "BPClient.log")

	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	tone := filepath.Join(root, "baresip-tone.wav")
	f, err := os.Create(tone)
	if err != nil {
		t.Fatal(err)
	}
	if err := dsp.WriteWAV(f, 8000, 1, dsp.Sine(10*8000, wineBaresipHz, 8000, 0.3)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(),
		Source: tone, Codecs: []string{"pcmu"}})

	w := &wineWorld{prefix: prefix, exes: exes, sound: sound, k: k, b: b, desk: desk}
	setupStart := time.Now()
	page, devices := w.openPage(t)
	t.Logf("the host started the agent, which registered, in %v", time.Since(setupStart).Round(time.Millisecond))
	for _, api := range []struct{ name, hostAPI string }{{"WASAPI", "Windows WASAPI"}, {"MME", "MME"}} {
		t.Run(api.name, func(t *testing.T) {
			c := w.selectDevices(t, page, devices, api.hostAPI)
			t.Run("outbound", func(t *testing.T) { c.check(t, c.dial) })
			t.Run("inbound", func(t *testing.T) { c.check(t, c.ringIn) })
		})
	}
	// Answered from the agent's own pop-up window, clicked with xdotool.
	t.Run("inbound-popup", func(t *testing.T) {
		c := w.selectDevices(t, page, devices, "Windows WASAPI")
		c.check(t, c.ringInAnswerFromPopup)
	})
	if len(prefix.Agents("bpclient.exe")) != 1 {
		t.Errorf("agents started by the host: %v, want one", prefix.Agents("bpclient.exe"))
	}
	// The agent as it runs after login (HKCU Run: bpclient-agent.exe, the
	// GUI subsystem, no console): the host finds it and starts none.
	t.Run("login-agent", func(t *testing.T) {
		page.close()
		if out := prefix.Output(t, exes.Agent, "stop"); !strings.Contains(out, "agent stopped") {
			t.Fatalf("bpclient stop: %s", out)
		}
		stop := w.startLoginAgent(t)
		defer stop()
		page, devices := w.openPage(t)
		// Screen recording is bpclient-screen.exe's, which this agent (GUI
		// subsystem) starts with no console for the first screen.* request:
		// the worker answers (not-recording; the agent alone would say
		// unavailable).
		if _, rpcErr, err := page.request("screen.record.stop", nil); err != nil || rpcErr == nil || rpcErr.Code != jsonrpc.CodeScreen ||
			!strings.Contains(fmt.Sprint(rpcErr.Data), jsonrpc.ReasonNotRecording) {
			t.Errorf("screen.record.stop through the screen worker under wine: %v %v, want %d %s", rpcErr, err, jsonrpc.CodeScreen, jsonrpc.ReasonNotRecording)
		}
		c := w.selectDevices(t, page, devices, "Windows WASAPI")
		t.Run("outbound", func(t *testing.T) { c.check(t, c.dial) })
		t.Run("inbound", func(t *testing.T) { c.check(t, c.ringIn) })
		if got, host := prefix.Agents("bpclient-agent.exe"), prefix.Agents("bpclient.exe"); len(got) != 1 || len(host) != 0 {
			t.Errorf("agents: bpclient-agent.exe %v, bpclient.exe %v; want the login agent alone", got, host)
		}
		page.close()
	})
	// Secrets never reach the log.
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Errorf("BPClient.log: %v", err)
	} else if bytes.Contains(log, []byte("secret1")) {
		t.Errorf("BPClient.log holds the SIP password")
	} else if !bytes.Contains(log, []byte(`"proc":"screen"`)) {
		t.Errorf("BPClient.log has no line of the screen worker")
	}
	if t.Failed() && len(log) > 0 {
		t.Logf("BPClient.log:\n%s", log)
	}
	t.Logf("TestWineCall took %v (build, prefix, peers, 6 calls)", time.Since(start).Round(time.Millisecond))
}

// On a PATH without wine, TestWineCall skips and says why, or fails where
// the real peers are required (CI).
func TestWineCallWithoutWine(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	testpeers.ExpectMissing(t, func(tb testing.TB) {
		if needWine(tb) {
			t.Error("needWine found wine on an empty PATH")
		}
	}, "wine is not installed: scripts/deps-release.sh installs wine and mingw-w64")
}

// wineDevice is one device of audio.devices.
type wineDevice struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	HostAPI string `json:"hostApi"`
}

// findWineDevice is the id of the device of hostAPI named name.
func findWineDevice(t *testing.T, list []wineDevice, hostAPI, name string) string {
	t.Helper()
	for _, d := range list {
		if d.HostAPI == hostAPI && d.Name == name {
			return d.ID
		}
	}
	t.Fatalf("no %s device %q in %+v", hostAPI, name, list)
	return ""
}

// spareWineOutput is an output of hostAPI that is neither the speaker nor the
// microphone's feed (one of soundtest's ringer sinks).
func spareWineOutput(t *testing.T, list []wineDevice, hostAPI string) string {
	t.Helper()
	for _, d := range list {
		if d.HostAPI == hostAPI && !strings.Contains(d.Name, "TestSpeaker") && !strings.Contains(d.Name, "TestMicFeed") &&
			!strings.Contains(d.Name, "PulseAudio") && !strings.Contains(d.Name, "Sound Mapper") {
			return d.ID
		}
	}
	t.Fatalf("no spare %s output for the ringer in %+v", hostAPI, list)
	return ""
}

// wineWorld is what every call of TestWineCall shares.
type wineWorld struct {
	prefix *winePrefix
	exes   windowsExes
	sound  *soundtest.Server
	k      *siptest.Kamailio
	b      *siptest.Baresip
	desk   *desktoptest.Desktop // the Xvfb the pop-ups show on
}

// wineDevices is the audio.devices answer.
type wineDevices struct {
	Inputs  []wineDevice `json:"inputs"`
	Outputs []wineDevice `json:"outputs"`
}

// openPage starts bpclient-host.exe as Chromium would (the extension's
// origin as its argument, in its own folder), says hello as the Agent
// Desktop page, configures and registers the phone, and lists the devices.
func (w *wineWorld) openPage(t *testing.T) (*framePage, wineDevices) {
	t.Helper()
	var page *framePage
	var res json.RawMessage
	for attempt := 1; ; attempt++ {
		page = startFramePage(t, w.exes.Dir, w.prefix.Env(), "wine", w.exes.Host, "chrome-extension://"+nativemsg.ExtensionID+"/")
		r, rpcErr, err := page.request("helper.hello", map[string]string{"client": "wine-e2e", "pageOrigin": "https://" + browsertest.AllowedDomain})
		if rpcErr != nil {
			t.Fatalf("helper.hello: %d %s %v", rpcErr.Code, rpcErr.Message, rpcErr.Data)
		}
		if err == nil {
			res = r
			break
		}
		// wine's loader, when it cannot start a program, hands it to
		// start.exe, which prints "ShellExecuteEx failed" where frames
		// were due (scripts/test-release.sh retries such starts too).
		page.close()
		if attempt == 3 {
			t.Fatalf("helper.hello through wine bpclient-host.exe: %v", err)
		}
		t.Logf("note: helper.hello through wine bpclient-host.exe (attempt %d of 3): %v", attempt, err)
		time.Sleep(time.Second)
	}
	var hello struct {
		OS           string
		Capabilities []string
	}
	if err := json.Unmarshal(res, &hello); err != nil {
		t.Fatalf("helper.hello: %s: %v", res, err)
	}
	if hello.OS != "windows" || !slices.Contains(hello.Capabilities, "softphone") || !slices.Contains(hello.Capabilities, "audio") {
		t.Fatalf("helper.hello: %+v, want the Windows agent with softphone and audio", hello)
	}
	m := page.mark()
	page.call(t, "phone.configure", map[string]any{"mode": "softphone", "server": w.k.Addr(), "domain": "127.0.0.1",
		"username": "1001", "password": "secret1", "codecs": []string{"PCMU"}, "incomingPopup": true}, nil)
	page.call(t, "phone.register", nil, nil)
	page.waitEvent(t, m, 30*time.Second, "registration.state", `"registered"`)
	var devices wineDevices
	page.call(t, "audio.devices", nil, &devices)
	return page, devices
}

// selectDevices chooses the microphone's feed and the speaker of hostAPI
// for calls, and rings elsewhere, so that the speaker's recording holds
// only the call.
func (w *wineWorld) selectDevices(t *testing.T, page *framePage, devices wineDevices, hostAPI string) *wineCall {
	t.Helper()
	sel := map[string]any{
		"input":  findWineDevice(t, devices.Inputs, hostAPI, "Monitor of TestMicFeed"),
		"output": findWineDevice(t, devices.Outputs, hostAPI, "TestSpeaker"),
		"ringer": []string{spareWineOutput(t, devices.Outputs, hostAPI)},
	}
	var got map[string]any
	page.call(t, "audio.select", sel, &got)
	t.Logf("audio.select %v", got)
	return &wineCall{wineWorld: w, page: page}
}

// startLoginAgent starts bpclient-agent.exe as the HKCU Run key does at
// login and waits until it answers on its pipe; stop stops it (bpclient
// stop) and waits for it to exit.
func (w *wineWorld) startLoginAgent(t *testing.T) (stop func()) {
	t.Helper()
	cmd := exec.Command("wine", w.exes.LoginAgent, "agent")
	cmd.Dir, cmd.Env = w.exes.Dir, w.prefix.Env()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop = func() {
		w.prefix.Output(t, w.exes.Agent, "stop")
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("hang guard (30 s): bpclient-agent.exe did not exit after bpclient stop")
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(w.prefix.Output(t, w.exes.Agent, "status"), "agent: running") {
		if time.Now().After(deadline) {
			stop()
			t.Fatal("hang guard (30 s): bpclient-agent.exe agent does not answer on its pipe")
		}
		time.Sleep(200 * time.Millisecond)
	}
	return stop
}

// wineCall places or takes one call through the page and checks its audio.
type wineCall struct {
	*wineWorld
	page *framePage
}

// dial places a call to baresip (which answers by itself) and returns its id.
func (w *wineCall) dial(t *testing.T, from int) string {
	var dialed struct {
		CallID string `json:"callId"`
	}
	w.page.call(t, "call.dial", map[string]string{"to": "1002"}, &dialed)
	return dialed.CallID
}

// ringIn has baresip call us and answers it as the page would.
func (w *wineCall) ringIn(t *testing.T, from int) string {
	id := w.ring(t, from)
	w.page.call(t, "call.answer", map[string]string{"callId": id}, nil)
	return id
}

// ring has baresip call us and returns the call.incoming's callId.
func (w *wineCall) ring(t *testing.T, from int) string {
	if _, err := w.b.Command("dial", "sip:1001@"+w.k.Addr()); err != nil {
		t.Fatal(err)
	}
	e := w.page.waitEvent(t, from, 30*time.Second, "call.incoming", `"callId"`)
	var inc struct {
		CallID string `json:"callId"`
		From   string `json:"from"`
	}
	if err := json.Unmarshal(e.Params, &inc); err != nil || inc.CallID == "" || !strings.Contains(inc.From, "1002") {
		t.Fatalf("call.incoming %s (%v)", e.Params, err)
	}
	return inc.CallID
}

// ringInAnswerFromPopup is ringIn answered with the Answer button of the
// call's pop-up window (the incoming call's pop-up of phone.configure
// incomingPopup), which a click on it, not the page, answers.
func (w *wineCall) ringInAnswerFromPopup(t *testing.T, from int) string {
	id := w.ring(t, from)
	pop := findXWindow(t, w.desk, "^Incoming call: ", 15*time.Second)
	t.Logf("the call's pop-up %+v", pop)
	clickPopupButton(t, w.desk, pop, 0, 2) // Answer, Decline
	w.page.waitEvent(t, from, 10*time.Second, "popup.action", `"action":"answer"`, `"tag":"call:`+id+`"`)
	return id
}

// check sets a call up with setup, records both directions for
// wineCallFor, hangs up and checks each side heard the other's tone.
func (w *wineCall) check(t *testing.T, setup func(t *testing.T, from int) string) {
	_, before := w.b.Recordings()
	w.sound.Feed(t, "mic", dsp.Sine(30*48000, wineMicHz, 48000, 0.3), 48000)
	m := w.page.mark()
	setupStart := time.Now()
	id := setup(t, m)
	connected := `"callId":"` + id + `"`
	w.page.waitEvent(t, m, 30*time.Second, "call.state", connected, `"state":"connected"`)
	t.Logf("call %s connected %v after it was set up", id, time.Since(setupStart).Round(time.Millisecond))
	stop := w.sound.Record(t, "spk", 48000)
	time.Sleep(wineCallFor)
	speaker := stop()
	w.page.call(t, "call.hangup", map[string]string{"callId": id}, nil)
	w.page.waitEvent(t, m, 30*time.Second, "call.state", connected, `"state":"ended"`)
	for _, e := range w.page.eventsSince(m) {
		if e.Method == "call.audio" {
			t.Errorf("the call's devices did not open: call.audio %s", e.Params)
		}
	}
	checkWineTone(t, "our speaker (the spk sink's monitor)", speaker, 48000, wineBaresipHz, 500*time.Millisecond)
	heard := newWineRecording(t, w.b, before)
	checkWineTone(t, "baresip's recording of what it received", heard.Mono(), heard.Rate, wineMicHz, time.Second)
}

// newWineRecording waits for the decoded recording of baresip's latest call
// (one not in before) to be complete, and reads it.
func newWineRecording(t *testing.T, b *siptest.Baresip, before []string) *dsp.WAV {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, dec := b.Recordings()
		for _, f := range dec {
			if slices.Contains(before, f) {
				continue
			}
			// sndfile writes the header's sizes when the call ends.
			if data, err := os.ReadFile(f); err == nil {
				if w, err := dsp.ParseWAV(data); err == nil && len(w.Samples) >= w.Rate*w.Channels {
					return w
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("hang guard (10 s): no complete new recording from baresip (had %v, now %v)", before, dec)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkWineTone checks that pcm (after skip) carries a tone at want Hz: loud
// enough to be a signal, and its strongest component within 2 %.
func checkWineTone(t *testing.T, what string, pcm []int16, rate int, want float64, skip time.Duration) {
	t.Helper()
	n := int(skip.Seconds() * float64(rate))
	if len(pcm)-n < rate {
		t.Errorf("%s: %d samples at %d Hz, want a second after the first %v", what, len(pcm), rate, skip)
		return
	}
	pcm = pcm[n:]
	level := dsp.DBFS(dsp.RMS(pcm))
	got := dsp.DominantFrequency(pcm, rate)
	t.Logf("%s: %.1f Hz at %.1f dBFS RMS over %.2f s (want %.0f Hz)", what, got, level, float64(len(pcm))/float64(rate), want)
	if level < -40 {
		t.Errorf("%s: %.1f dBFS RMS: silence, want the %.0f Hz tone", what, level, want)
	}
	if got < want*0.98 || got > want*1.02 {
		t.Errorf("%s: strongest at %.1f Hz, want %.0f Hz", what, got, want)
	}
}
