//go:build linux

package popupapi_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/agent"
	"github.com/openbpclient/bpclient/helper/client"
	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/helper/popupapi"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// toneMic is a call's microphone playing a sine.
type toneMic struct {
	freq, phase float64
	rate        int
}

func (m *toneMic) ReadPCM(buf []int16) (int, error) {
	for i := range buf {
		buf[i] = int16(8000 * math.Sin(m.phase))
		m.phase += 2 * math.Pi * m.freq / float64(m.rate)
	}
	return len(buf), nil
}

// speakers keeps what each call's speaker was given.
type speakers struct {
	mu    sync.Mutex
	pcm   map[string][]int16
	rates map[string]int
}

type speaker struct {
	s  *speakers
	id string
}

func (sp speaker) WritePCM(buf []int16) (int, error) {
	sp.s.mu.Lock()
	sp.s.pcm[sp.id] = append(sp.s.pcm[sp.id], buf...)
	sp.s.mu.Unlock()
	return len(buf), nil
}

// factory gives every call a 1000 Hz microphone and a recording speaker.
func (s *speakers) factory(callID string, rate int) (sip.Audio, error) {
	s.mu.Lock()
	s.rates[callID] = rate
	s.mu.Unlock()
	return sip.Audio{Source: &toneMic{freq: 1000, rate: rate}, Sink: speaker{s, callID}}, nil
}

func (s *speakers) heard(callID string) ([]int16, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int16(nil), s.pcm[callID]...), s.rates[callID]
}

// wantTone checks the dominant frequency of pcm after its first quarter
// (jitter buffer priming, codec warm-up).
func wantTone(t *testing.T, what string, pcm []int16, rate int, freq float64) {
	t.Helper()
	if rate == 0 || len(pcm) < rate {
		t.Errorf("%s: only %d samples at %d Hz", what, len(pcm), rate)
		return
	}
	pcm = pcm[len(pcm)/4:]
	if got := dsp.DominantFrequency(pcm, rate); math.Abs(got-freq) > 15 {
		t.Errorf("%s: dominant frequency %.1f Hz, want %.0f Hz (rms %.4f)", what, got, freq, dsp.RMS(pcm))
	}
}

// phoneRig is the popup rig with a phone service registered at a real
// Kamailio as 1001, and a baresip 1002 that plays 440 Hz.
type phoneRig struct {
	*rig
	k   *siptest.Kamailio
	b   *siptest.Baresip
	spk *speakers
}

func startPhoneRig(t *testing.T) *phoneRig {
	t.Helper()
	k := siptest.StartKamailio(t, siptest.KamailioOptions{})
	wav := filepath.Join(t.TempDir(), "tone.wav")
	f, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	if err := dsp.WriteWAV(f, 8000, 1, dsp.Sine(10*8000, 440, 8000, 0.3)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(), Source: wav})
	spk := &speakers{pcm: map[string][]int16{}, rates: map[string]int{}}
	r := startRig(t, func(srv *agent.Server, pop *popupapi.Service) agent.Service {
		phone := phoneapi.New(phoneapi.Options{Logger: zerolog.Nop(), Events: srv, Popups: pop, Audio: spk.factory})
		t.Cleanup(phone.Close)
		return phone
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("baresip:\n%s", b.Log())
		}
	})
	return &phoneRig{rig: r, k: k, b: b, spk: spk}
}

// configureFromPage has a page of originA configure and register the
// phone with incomingPopup, then go away.
func (r *phoneRig) configureFromPage() {
	r.t.Helper()
	p := r.open("agent-desktop", originA)
	if jerr := p.call("phone.configure", map[string]any{"server": r.k.Addr(), "domain": "127.0.0.1", "username": "1001",
		"password": "secret1", "codecs": []string{"PCMU"}, "incomingPopup": true}, nil); jerr != nil {
		r.t.Fatal(jerr)
	}
	if jerr := p.call("phone.register", nil, nil); jerr != nil {
		r.t.Fatal(jerr)
	}
	p.waitEvent("registration.state", `"registered"`)
	p.C.Close()
}

// waitEvent waits for an event named method whose params contain want,
// and returns its params and when it was seen.
func (p *page) waitEvent(method, want string) (json.RawMessage, time.Time) {
	p.t.Helper()
	ev := p.Await(&p.anyNext, method+" with "+want, func(ev client.Event) bool {
		return ev.Method == method && strings.Contains(string(ev.Params), want)
	})
	return ev.Params, time.Now()
}

// TestIncomingCallAnsweredFromPopup: with no page connected, a call from
// baresip pops up on the real dunst with the caller's number; Answer on
// the pop-up answers it in the agent, the pop-up closes, and the tone of
// each side reaches the other.
func TestIncomingCallAnsweredFromPopup(t *testing.T) {
	r := startPhoneRig(t)
	r.configureFromPage()
	cli := r.open("cli", "") // the user's own client: hears the call's events, controls nothing here

	if _, err := r.b.Command("dial", "sip:1001@"+r.k.Addr()); err != nil {
		t.Fatal(err)
	}
	in, tIncoming := cli.waitEvent("call.incoming", "")
	var inc sip.IncomingCall
	if err := json.Unmarshal(in, &inc); err != nil {
		t.Fatal(err)
	}
	r.d.WaitDisplayed(1, 5*time.Second)
	tShown := time.Now()
	nid := r.rec.lastID()
	if !r.d.WindowVisible() {
		t.Error("dunst shows the call but no window is mapped")
	}

	tButton := time.Now()
	r.d.Choose(nid, popupapi.ActionAnswer)
	_, tConnected := cli.waitEvent("call.state", `"state":"connected"`)
	cli.expectTagged(popupapi.EventAction, "call:"+inc.CallID, popupapi.ActionAnswer, "")
	cli.expectTagged(popupapi.EventClosed, "call:"+inc.CallID, "", "closed")
	r.d.WaitDisplayed(0, 5*time.Second)
	if !r.b.WaitLog("Call established", 5*time.Second) {
		t.Fatal("baresip: no call established")
	}
	t.Logf("call.incoming -> shown by dunst: %v; Answer -> call.state connected: %v (machine shared, under load)",
		tShown.Sub(tIncoming).Round(time.Millisecond), tConnected.Sub(tButton).Round(time.Millisecond))

	time.Sleep(3 * time.Second)
	if _, err := r.b.Command("hangup", ""); err != nil {
		t.Fatal(err)
	}
	cli.waitEvent("call.state", `"state":"ended"`)
	heard, rate := r.spk.heard(inc.CallID)
	wantTone(t, "what the agent heard", heard, rate, 440)
	r.b.Stop()
	_, dec := r.b.Recordings()
	if len(dec) != 1 {
		t.Fatalf("baresip recordings: %v", dec)
	}
	wantWAVTone(t, "what baresip heard", dec[0], 1000)
}

// TestIncomingCallPopupDeclineAndCloses: Decline on the pop-up rejects
// the call (603); a call answered elsewhere (call.answer) or cancelled by
// the caller closes its pop-up.
func TestIncomingCallPopupDeclineAndCloses(t *testing.T) {
	r := startPhoneRig(t)
	r.configureFromPage()
	cli := r.open("cli", "")
	ring := func() string {
		t.Helper()
		if _, err := r.b.Command("dial", "sip:1001@"+r.k.Addr()); err != nil {
			t.Fatal(err)
		}
		in, _ := cli.waitEvent("call.incoming", "")
		var inc sip.IncomingCall
		if err := json.Unmarshal(in, &inc); err != nil {
			t.Fatal(err)
		}
		r.d.WaitDisplayed(1, 5*time.Second)
		return inc.CallID
	}

	id := ring()
	r.d.Choose(r.rec.lastID(), popupapi.ActionDecline)
	cli.waitEvent("call.state", `"state":"ended"`)
	cli.expectTagged(popupapi.EventAction, "call:"+id, popupapi.ActionDecline, "")
	cli.expectTagged(popupapi.EventClosed, "call:"+id, "", "closed")
	r.d.WaitDisplayed(0, 5*time.Second)
	if !r.b.WaitLog("603", 5*time.Second) {
		t.Error("baresip did not get 603 Declined")
	}

	id = ring()
	if jerr := cli.call("call.answer", map[string]string{"callId": id}, nil); jerr != nil {
		t.Fatal(jerr)
	}
	cli.expectTagged(popupapi.EventClosed, "call:"+id, "", "closed")
	r.d.WaitDisplayed(0, 5*time.Second)
	if _, err := r.b.Command("hangup", ""); err != nil {
		t.Fatal(err)
	}
	cli.waitEvent("call.state", `"state":"ended"`)

	r.b.WaitLog("terminated", 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	id = ring()
	if _, err := r.b.Command("hangup", ""); err != nil { // the caller gives up
		t.Fatal(err)
	}
	cli.expectTagged(popupapi.EventClosed, "call:"+id, "", "closed")
	r.d.WaitDisplayed(0, 5*time.Second)
}

// expectTagged waits for the pop-up event named method of tag and checks
// its action or reason.
func (p *page) expectTagged(method, tag, action, reason string) {
	p.t.Helper()
	for {
		ev := p.next()
		if ev.Method != method || ev.Tag != tag {
			continue
		}
		if ev.Action != action || ev.Reason != reason {
			p.t.Fatalf("%s: %+v, want action %q reason %q", p.Name, ev, action, reason)
		}
		return
	}
}

func wantWAVTone(t *testing.T, what, path string, freq float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := dsp.ReadWAV(f)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	wantTone(t, what, w.Mono(), w.Rate, freq)
}
