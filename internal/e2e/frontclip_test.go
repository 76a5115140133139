//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/openbpclient/bpclient/audio/codec"
	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/internal/browsertest"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/internal/soundtest"
)

// Front clip (issue 11): the agent's microphone is a private sound
// server's source fed a continuous tone; the far end (baresip) records
// what it decodes from the first packet on. Our media sends silence until
// the microphone has audio, so the tone's onset in that recording is the
// time from connected to the first of the microphone's audio there.

const (
	// clipToneHz is the microphone's tone: far from the ringtone's and
	// the ringback's frequencies, and on a bin of clipWindow at 8 kHz.
	clipToneHz = 1000
	// clipWindow is the resolution of the onset.
	clipWindow = 10 * time.Millisecond
	// clipLimit is the requirement: the microphone's audio from 100 ms
	// after connected on.
	clipLimit = 100 * time.Millisecond
	// clipCall is how long each measured call lasts once connected.
	clipCall = 2 * time.Second
	// clipRing is how long an inbound call rings before the answer.
	clipRing = 1500 * time.Millisecond
)

// clipMode is one kind of call: plain RTP, SDES-SRTP or DTLS-SRTP, with
// the baresip callee that takes it.
type clipMode struct {
	name     string
	callee   siptest.User
	mediaEnc string // baresip's mediaenc; "" plain
	keying   string // the agent's keying in secure mode; "" plain
}

var (
	clipAgentUser   = siptest.User{Name: "1001", Password: "secret1"}
	clipBaresipUser = siptest.User{Name: "1005", Password: "secret5"} // baresip in the agent's place
	clipModes       = []clipMode{
		{name: "plain", callee: siptest.User{Name: "1002", Password: "secret2"}},
		{name: "sdes", callee: siptest.User{Name: "1003", Password: "secret3"}, mediaEnc: "srtp-mand", keying: "sdes"},
		{name: "dtls", callee: siptest.User{Name: "1004", Password: "secret4"}, mediaEnc: "dtls_srtp", keying: "dtls"},
	}
)

// TestFrontClip: on PulseAudio and on PipeWire, outbound and inbound,
// plain, SDES-SRTP and DTLS-SRTP, the agent's microphone is heard at the
// far end from at most clipLimit after the call connects, and stays
// heard (checkClip). With BPCLIENT_FRONTCLIP_BARESIP=1 it also measures
// baresip in the agent's place (the same devices, the same callee) for
// BENCHMARKS.md.
func TestFrontClip(t *testing.T) {
	root := t.TempDir()
	bctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bins, err := browsertest.BuildBinaries(bctx, filepath.Join(root, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	soundtest.ForEach(t, func(t *testing.T, kind string) {
		w := newClipWorld(t, bins, kind)
		for _, m := range clipModes {
			t.Run(m.name, func(t *testing.T) {
				w.configure(t, m)
				t.Run("outbound", func(t *testing.T) {
					rec := w.agentOutbound(t, m)
					w.checkClip(t, "agent outbound "+m.name, rec)
				})
				t.Run("inbound", func(t *testing.T) {
					rec := w.agentInbound(t, m)
					w.checkClip(t, "agent inbound "+m.name, rec)
				})
			})
		}
		// The call's devices open while it rings: the ringer, on every
		// output (the default one the call's speaker holds among them),
		// must still have rung. Heard on ring1, which only the ringer
		// plays to, by a recorder that runs the whole test (PulseAudio's
		// recorder of an idle sink started late gives nothing for seconds).
		t.Run("ringer", func(t *testing.T) {
			ring := w.ringRec()
			loudest := 0.0
			for i := 0; i+800 <= len(ring); i += 800 {
				loudest = max(loudest, dsp.RMS(ring[i:i+800]))
			}
			if loudest < 0.01 {
				t.Errorf("the ringer was not heard while the calls rang with their devices open: %d samples, loudest 100 ms at RMS %.4f",
					len(ring), loudest)
			}
		})
		if os.Getenv("BPCLIENT_FRONTCLIP_BARESIP") != "" {
			t.Run("wire", func(t *testing.T) { w.measureWire(t) })
			t.Run("baresip", func(t *testing.T) { w.measureBaresip(t) })
		}
	})
}

// clipWorld is one sound server with the agent, Kamailio (UDP and TLS)
// and a baresip callee per mode, shared by the subtests.
type clipWorld struct {
	srv    *soundtest.Server
	env    *browsertest.Env
	k      *siptest.Kamailio
	caPEM  string
	caFile string
	callee map[string]*siptest.Baresip
	rpc    *client.Client
	ev     *eventLog
	// ringRec records the ringer's own output (ring1) all test long.
	ringRec func() []int16
}

func newClipWorld(t *testing.T, bins *browsertest.Binaries, kind string) *clipWorld {
	t.Helper()
	srv := soundtest.Start(t, kind)
	// The microphone: a tone the whole test long, at 8 kHz (the server
	// converts it for the 48 kHz sink).
	srv.Feed(t, "mic", dsp.Sine(10*60*8000, clipToneHz, 8000, 0.3), 8000)
	waitForFeed(t, srv)
	w := &clipWorld{srv: srv, callee: map[string]*siptest.Baresip{}, ringRec: srv.Record(t, "ring1", 8000)}
	ca := siptest.NewCA(t, "bpclient front clip CA")
	cert := ca.Loopback(t)
	users := []siptest.User{clipAgentUser, clipBaresipUser}
	for _, m := range clipModes {
		users = append(users, m.callee)
	}
	w.k = siptest.StartKamailio(t, siptest.KamailioOptions{Users: users, TLS: &cert})
	w.caPEM = ca.PEM
	w.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(w.caFile, []byte(ca.PEM), 0o644); err != nil {
		t.Fatal(err)
	}
	// The callees play a 440 Hz file as their microphone (not the
	// server's source: only our microphone carries clipToneHz).
	farTone := writeClipWAV(t, dsp.Sine(60*8000, 440, 8000, 0.3))
	for _, m := range clipModes {
		o := siptest.BaresipOptions{User: m.callee, Registrar: w.k.Addr(), Source: farTone, Codecs: []string{"pcmu"}, MediaEnc: m.mediaEnc}
		if m.mediaEnc != "" {
			o.Registrar, o.Transport, o.CAFile = w.k.TLSAddr(), "tls", w.caFile
		}
		w.callee[m.name] = siptest.StartBaresip(t, o)
	}

	w.env, _ = browsertest.NewEnv(filepath.Join(t.TempDir(), "e"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The agent inherits PULSE_SERVER and ALSA's config from Start.
	agent, err := browsertest.StartAgent(ctx, bins, w.env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(w.env.LogFile())
			t.Logf("agent log:\n%s", clipLogTail(string(log), 200))
			se, _ := os.ReadFile(filepath.Join(w.env.Root, "agent.stderr"))
			t.Logf("stderr:\n%s", se)
		}
	})
	t.Cleanup(func() { _ = agent.Stop() })
	c, _, err := browsertest.Dial(ctx, w.env, "frontclip")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	w.rpc, w.ev = c, newEventLog(c)
	return w
}

// waitForFeed waits until the microphone's source carries the tone. A
// desktop's sound server runs long before a call; one just started
// takes about 2 s to start its first streams (measured on PulseAudio:
// a capture stream's first frame after 1.9 s in the server's first
// seconds, after 29 ms once it has run for a few), which belongs to the
// test's setup and would clip whichever call came first.
func waitForFeed(t *testing.T, srv *soundtest.Server) {
	t.Helper()
	deadline := time.Now().Add(soundtest.HangGuard)
	for {
		stop := srv.Record(t, "mic", 8000)
		time.Sleep(300 * time.Millisecond)
		pcm := stop()
		if len(pcm) >= 800 && dsp.Goertzel(pcm[len(pcm)-800:], clipToneHz, 8000) > 0.1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hang guard (%v): the microphone's source never carried the feed's tone", soundtest.HangGuard)
		}
	}
}

// configure gives the agent a phone for mode m (a new phone each time:
// softphone mode over UDP for plain calls, secure mode over TLS else)
// and waits for its registration.
func (w *clipWorld) configure(t *testing.T, m clipMode) {
	t.Helper()
	params := map[string]any{"mode": "softphone", "server": w.k.Addr(), "domain": "127.0.0.1",
		"username": clipAgentUser.Name, "password": clipAgentUser.Password, "codecs": []string{"PCMU"}}
	if m.keying != "" {
		params["mode"], params["server"], params["caPem"], params["keying"] = "secure", w.k.TLSAddr(), w.caPEM, m.keying
	}
	mark := w.ev.mark()
	w.call(t, "phone.configure", params, nil)
	w.call(t, "phone.register", nil, nil)
	w.ev.wait(t, mark, 15*time.Second, "registration.state", func(p eventParams) bool {
		if p.State == "failed" {
			t.Fatalf("registration failed: %s", p.Reason)
		}
		return p.State == "registered"
	})
}

func (w *clipWorld) call(t *testing.T, method string, params, result any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.rpc.Call(ctx, method, params, result); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
}

// agentOutbound has the agent call m's callee, talks for clipCall and
// returns what the callee recorded.
func (w *clipWorld) agentOutbound(t *testing.T, m clipMode) []int16 {
	t.Helper()
	b := w.callee[m.name]
	before := clipRecordings(b)
	mark := w.ev.mark()
	var dial struct {
		CallID string `json:"callId"`
	}
	w.call(t, "call.dial", map[string]string{"to": m.callee.Name}, &dial)
	w.ev.wait(t, mark, 15*time.Second, "call.state", func(p eventParams) bool {
		w.failIfEnded(t, p)
		return p.CallID == dial.CallID && p.State == "connected"
	})
	time.Sleep(clipCall)
	w.hangup(t, dial.CallID, mark)
	return clipNewRecording(t, b, before)
}

// agentInbound has m's callee call the agent, which rings for clipRing
// before the answer, and returns what baresip (the caller) recorded.
func (w *clipWorld) agentInbound(t *testing.T, m clipMode) []int16 {
	t.Helper()
	b := w.callee[m.name]
	before := clipRecordings(b)
	addr := w.k.Addr()
	if m.mediaEnc != "" {
		addr = w.k.TLSAddr()
	}
	mark := w.ev.mark()
	if _, err := b.Command("dial", "sip:"+clipAgentUser.Name+"@"+addr); err != nil {
		t.Fatal(err)
	}
	in := w.ev.wait(t, mark, 15*time.Second, "call.incoming", func(eventParams) bool { return true })
	time.Sleep(clipRing)
	w.call(t, "call.answer", map[string]string{"callId": in.CallID}, nil)
	w.ev.wait(t, mark, 15*time.Second, "call.state", func(p eventParams) bool {
		w.failIfEnded(t, p)
		return p.CallID == in.CallID && p.State == "connected"
	})
	time.Sleep(clipCall)
	w.hangup(t, in.CallID, mark)
	return clipNewRecording(t, b, before)
}

// measureWire measures the front clip where the far end's recording
// cannot: on the wire. A relay between the agent and a plain callee (its
// own Kamailio, which points both SDPs at it) keeps every packet it hands
// to baresip, with its time; the onset is the first PCMU packet that
// carries the microphone's tone, from the connected event the test got.
// Logged for BENCHMARKS.md, not asserted. The relay forwards nothing
// before baresip's first packet, so the first relayed packet is roughly
// when baresip answered.
func (w *clipWorld) measureWire(t *testing.T) {
	relay := siptest.StartRTPRelay(t)
	callee := siptest.User{Name: "1006", Password: "secret6"}
	k := siptest.StartKamailio(t, siptest.KamailioOptions{Users: []siptest.User{clipAgentUser, callee}, RTPRelay: relay})
	siptest.StartBaresip(t, siptest.BaresipOptions{User: callee, Registrar: k.Addr(), Source: writeClipWAV(t, dsp.Sine(60*8000, 440, 8000, 0.3)),
		Codecs: []string{"pcmu"}})
	mark := w.ev.mark()
	w.call(t, "phone.configure", map[string]any{"mode": "softphone", "server": k.Addr(), "domain": "127.0.0.1",
		"username": clipAgentUser.Name, "password": clipAgentUser.Password, "codecs": []string{"PCMU"}}, nil)
	w.call(t, "phone.register", nil, nil)
	w.ev.wait(t, mark, 15*time.Second, "registration.state", func(p eventParams) bool { return p.State == "registered" })
	var dial struct {
		CallID string `json:"callId"`
	}
	w.call(t, "call.dial", map[string]string{"to": callee.Name}, &dial)
	conn := w.ev.wait(t, mark, 15*time.Second, "call.state", func(p eventParams) bool {
		w.failIfEnded(t, p)
		return p.CallID == dial.CallID && p.State == "connected"
	})
	time.Sleep(clipCall)
	w.hangup(t, dial.CallID, mark)
	pkts := relay.ToBaresip()
	if len(pkts) == 0 {
		t.Fatalf("the relay passed nothing to baresip")
	}
	pcm := make([]int16, 160)
	for _, pk := range pkts {
		var h rtp.Packet
		if h.Unmarshal(pk.Data) != nil || h.PayloadType != 0 || len(h.Payload) != 160 {
			continue
		}
		for i, u := range h.Payload {
			pcm[i] = codec.ULawToLinear(u)
		}
		if dsp.Goertzel(pcm, clipToneHz, 8000) > 0.1 {
			t.Logf("agent outbound plain on the wire (%s): first packet %v after connected, first with the microphone %v after connected",
				w.srv.Kind, pkts[0].At.Sub(conn.At).Round(time.Millisecond), pk.At.Sub(conn.At).Round(time.Millisecond))
			return
		}
	}
	t.Errorf("no packet to baresip carried the microphone's tone (%d packets)", len(pkts))
}

// measureBaresip puts baresip in the agent's place, on the same sound
// server's default devices (ALSA to the server, as the agent's PortAudio
// goes), and measures its front clip with the plain callee, outbound and
// inbound, for BENCHMARKS.md: logged, not asserted.
func (w *clipWorld) measureBaresip(t *testing.T) {
	m := clipModes[0]
	callee := w.callee[m.name]
	agent := siptest.StartBaresip(t, siptest.BaresipOptions{User: clipBaresipUser, Registrar: w.k.Addr(), Codecs: []string{"pcmu"},
		Answer: "manual", Mic: "alsa,default", Player: "alsa,default"})
	for _, dir := range []string{"outbound", "inbound"} {
		before := clipRecordings(callee)
		caller, answerer, to := agent, callee, m.callee.Name
		if dir == "inbound" {
			caller, answerer, to = callee, agent, clipBaresipUser.Name
		}
		established := strings.Count(agent.Log(), "Call established")
		if _, err := caller.Command("dial", "sip:"+to+"@"+w.k.Addr()); err != nil {
			t.Fatal(err)
		}
		if dir == "inbound" {
			if !answerer.WaitLog("Incoming call", 10*time.Second) {
				t.Fatalf("baresip %s did not ring:\n%s", clipBaresipUser.Name, clipLogTail(answerer.Log(), 40))
			}
			time.Sleep(clipRing)
			if _, err := answerer.Command("accept", ""); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(agent.Log(), "Call established") == established {
			if time.Now().After(deadline) {
				t.Fatalf("baresip's call did not connect:\n%s", clipLogTail(agent.Log(), 40))
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(clipCall)
		if _, err := agent.Command("hangup", ""); err != nil {
			t.Fatal(err)
		}
		onset, gaps, _, ok := clipOnset(clipNewRecording(t, callee, before), 8000)
		if !ok {
			t.Errorf("baresip %s (%s): the far end never heard its microphone", dir, w.srv.Kind)
			continue
		}
		t.Logf("baresip %s plain (%s): microphone heard %v after the call's first packet; %d windows of %v without it after %v",
			dir, w.srv.Kind, onset, gaps, clipWindow, clipLimit)
		time.Sleep(1100 * time.Millisecond) // baresip names recordings by the second
	}
}

func (w *clipWorld) failIfEnded(t *testing.T, p eventParams) {
	t.Helper()
	if p.State == "ended" {
		t.Fatalf("the call ended before it connected: %s", p.Reason)
	}
}

func (w *clipWorld) hangup(t *testing.T, callID string, mark int) {
	t.Helper()
	w.call(t, "call.hangup", map[string]string{"callId": callID}, nil)
	w.ev.wait(t, mark, 15*time.Second, "call.state", func(p eventParams) bool {
		return p.CallID == callID && p.State == "ended"
	})
}

// checkClip asserts the tone's onset in rec and that it then stays.
func (w *clipWorld) checkClip(t *testing.T, what string, rec []int16) {
	t.Helper()
	onset, gaps, steadyLoss, ok := clipOnset(rec, 8000)
	if !ok {
		t.Fatalf("%s: the far end never heard our microphone's %d Hz tone (%d samples recorded)", what, clipToneHz, len(rec))
	}
	t.Logf("%s (%s): microphone heard %v after the call's first packet; %d windows of %v without it after %v",
		what, w.srv.Kind, onset, gaps, clipWindow, clipLimit)
	if onset > clipLimit || steadyLoss > 0.1 {
		t.Logf("%s: tone by %v window ('#' heard, '.' not): %s", what, clipWindow, clipProfile(rec, 8000))
	}
	if onset > clipLimit {
		t.Errorf("%s: the first %v of our microphone's audio are missing at the far end (want at most %v)", what, onset, clipLimit)
	}
	// The tone must then stay. Some windows may lack it: on a loaded
	// machine a frame is late now and then, in the agent's capture or in
	// baresip's playout, and at a load of 9 to 12 on 2 cores everything
	// stalls for up to 200 ms at a time (the feed itself, recorded at the
	// same time, had no window missing). What must fail is a steady loss
	// like the old capture queue's one frame of every three on PipeWire,
	// in every block of the call: the median block may lack the tone in
	// at most a tenth of its windows.
	if steadyLoss > 0.1 {
		t.Errorf("%s: after %v, the median %v block lacks our microphone's audio in %.0f%% of its %v windows (%d windows in all; at most 10%%)",
			what, clipLimit, clipBlock*clipWindow, steadyLoss*100, clipWindow, gaps)
	}
}

// clipOnset finds the first window of rec holding the tone, counts the
// windows after clipLimit that lack it (the last 200 ms, the hang-up's,
// excluded), and gives the median over the blocks of clipBlock windows
// of the share lacking it: a loss all call long, not one stall. The tone
// is there when its amplitude is at least half that of the recording's
// steady part.
func clipOnset(rec []int16, rate int) (onset time.Duration, gaps int, steadyLoss float64, ok bool) {
	n := int(clipWindow.Seconds() * float64(rate))
	var amps []float64
	for i := 0; i+n <= len(rec); i += n {
		amps = append(amps, dsp.Goertzel(rec[i:i+n], clipToneHz, rate))
	}
	if len(amps) < 50 {
		return 0, 0, 0, false
	}
	steady := slices.Clone(amps[len(amps)/2:])
	slices.Sort(steady)
	level := steady[len(steady)/2] / 2
	if level < 0.01 {
		return 0, 0, 0, false
	}
	first := slices.IndexFunc(amps, func(a float64) bool { return a >= level })
	if first < 0 {
		return 0, 0, 0, false
	}
	from := int(clipLimit / clipWindow)
	var blocks []float64 // per clipBlock windows: the share without the tone
	missing := 0
	for i, a := range amps[from : len(amps)-20] {
		if a < level {
			gaps++
			missing++
		}
		if (i+1)%clipBlock == 0 {
			blocks = append(blocks, float64(missing)/clipBlock)
			missing = 0
		}
	}
	if len(blocks) > 0 {
		slices.Sort(blocks)
		steadyLoss = blocks[len(blocks)/2]
	}
	return time.Duration(first) * clipWindow, gaps, steadyLoss, true
}

// clipBlock is how many windows (200 ms) make a block of steadyLoss.
const clipBlock = 20

// clipProfile draws rec's windows: '#' where the tone is, '.' where not.
func clipProfile(rec []int16, rate int) string {
	n := int(clipWindow.Seconds() * float64(rate))
	var b strings.Builder
	for i := 0; i+n <= len(rec); i += n {
		if dsp.Goertzel(rec[i:i+n], clipToneHz, rate) >= 0.05 {
			b.WriteByte('#')
		} else {
			b.WriteByte('.')
		}
	}
	return b.String()
}

// clipRecordings lists the decoded recordings baresip has written.
func clipRecordings(b *siptest.Baresip) []string {
	_, dec := b.Recordings()
	return dec
}

// clipNewRecording waits for the call's recording (a file that was not
// there before) to be complete and reads it.
func clipNewRecording(t *testing.T, b *siptest.Baresip, before []string) []int16 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var fresh []string
		for _, f := range clipRecordings(b) {
			if !slices.Contains(before, f) {
				fresh = append(fresh, f)
			}
		}
		if len(fresh) == 1 {
			// sndfile writes the header when the call ends.
			if w, err := readClipWAV(fresh[0]); err == nil && len(w) > 0 {
				return w
			}
		}
		if len(fresh) > 1 {
			t.Fatalf("baresip wrote %d recordings for one call: %v", len(fresh), fresh)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no complete recording of the call from baresip (new files: %v)\n%s", fresh, clipLogTail(b.Log(), 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func readClipWAV(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w, err := dsp.ReadWAV(f)
	if err != nil {
		return nil, err
	}
	if w.Rate != 8000 {
		return nil, fmt.Errorf("%s: %d Hz, want 8000", path, w.Rate)
	}
	return w.Mono(), nil
}

func writeClipWAV(t *testing.T, pcm []int16) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "far.wav")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := dsp.WriteWAV(f, 8000, 1, pcm); err != nil {
		t.Fatal(err)
	}
	return p
}

func clipLogTail(s string, lines int) string {
	l := strings.Split(s, "\n")
	return strings.Join(l[max(0, len(l)-lines):], "\n")
}

// eventParams are the fields of the agent's events these tests read.
type eventParams struct {
	CallID string    `json:"callId"`
	State  string    `json:"state"`
	Reason string    `json:"reason"`
	At     time.Time `json:"-"` // when the test received it
}

// eventLog keeps every event of a client session, so that a test waits
// for one that may already have come.
type eventLog struct {
	mu     sync.Mutex
	events []client.Event
	at     []time.Time // when each came
	more   chan struct{}
}

func newEventLog(c *client.Client) *eventLog {
	l := &eventLog{more: make(chan struct{})}
	// Owned by the client: it ends when the session closes.
	go func() {
		for ev := range c.Events() {
			l.mu.Lock()
			l.events = append(l.events, ev)
			l.at = append(l.at, time.Now())
			close(l.more)
			l.more = make(chan struct{})
			l.mu.Unlock()
		}
	}()
	return l
}

// mark is the position after the events so far.
func (l *eventLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// wait returns the first event named method from position from on whose
// params match; the test fails after within.
func (l *eventLog) wait(t *testing.T, from int, within time.Duration, method string, match func(eventParams) bool) eventParams {
	t.Helper()
	deadline := time.After(within)
	for i := from; ; {
		l.mu.Lock()
		evs, at, more := l.events[i:], l.at[i:], l.more
		l.mu.Unlock()
		for k, ev := range evs {
			i++
			var p eventParams
			if ev.Method == method && json.Unmarshal(ev.Params, &p) == nil && match(p) {
				p.At = at[k]
				return p
			}
		}
		select {
		case <-more:
		case <-deadline:
			t.Fatalf("no %s event within %v", method, within)
		}
	}
}
