package sip_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/internal/siptest"
	"github.com/openbpclient/bpclient/sip"
)

// toneSource is a microphone that plays a sine.
type toneSource struct {
	freq  float64
	rate  int
	mu    sync.Mutex
	phase float64
}

func (s *toneSource) ReadPCM(buf []int16) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range buf {
		buf[i] = int16(8000 * math.Sin(s.phase))
		s.phase += 2 * math.Pi * s.freq / float64(s.rate)
	}
	return len(buf), nil
}

// recSink is a speaker that keeps what it is given.
type recSink struct {
	mu  sync.Mutex
	pcm []int16
}

func (r *recSink) WritePCM(buf []int16) (int, error) {
	r.mu.Lock()
	r.pcm = append(r.pcm, buf...)
	r.mu.Unlock()
	return len(buf), nil
}

func (r *recSink) samples() []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int16(nil), r.pcm...)
}

// testAudio gives every call a tone microphone and a recording speaker.
type testAudio struct {
	freq  float64
	mu    sync.Mutex
	sinks map[string]*recSink
	rates map[string]int
	opens map[string]int // times the factory opened a call's audio
}

func newTestAudio(freq float64) *testAudio {
	return &testAudio{freq: freq, sinks: map[string]*recSink{}, rates: map[string]int{}, opens: map[string]int{}}
}

// openCount is how often a call's audio was opened (ringback, media).
func (a *testAudio) openCount(callID string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.opens[callID]
}

func (a *testAudio) factory(callID string, rate int) (sip.Audio, error) {
	s := &recSink{}
	a.mu.Lock()
	a.sinks[callID] = s
	a.rates[callID] = rate
	a.opens[callID]++
	a.mu.Unlock()
	return sip.Audio{Source: &toneSource{freq: a.freq, rate: rate}, Sink: s}, nil
}

func (a *testAudio) heard(callID string) ([]int16, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s := a.sinks[callID]; s != nil {
		return s.samples(), a.rates[callID]
	}
	return nil, 0
}

// writeTone writes a WAV for baresip to play as its microphone.
func writeTone(t *testing.T, freq float64, rate int) string {
	t.Helper()
	return writeToneFor(t, freq, rate, 10*time.Second)
}

// writeToneFor writes a WAV of length d (baresip hangs up when its
// microphone file ends).
func writeToneFor(t *testing.T, freq float64, rate int, d time.Duration) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tone.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := dsp.WriteWAV(f, rate, 1, dsp.Sine(int(d.Seconds()*float64(rate)), freq, rate, 0.3)); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitCall waits for a call.state with the given state, up to the hang
// guard.
func (e *events) waitCall(t *testing.T, state string) sip.CallState {
	t.Helper()
	deadline := time.After(sip.HangGuard)
	for {
		select {
		case ev := <-e.ch:
			if cs, ok := ev.params.(sip.CallState); ok && cs.State == state {
				return cs
			}
		case <-deadline:
			t.Fatalf("hang guard (%v): no call.state %q; saw %v", sip.HangGuard, state, e.callStates())
		}
	}
}

// waitEvent waits for an event with the given name, up to the hang
// guard.
func (e *events) waitEvent(t *testing.T, name string) any {
	t.Helper()
	deadline := time.After(sip.HangGuard)
	for {
		select {
		case ev := <-e.ch:
			if ev.name == name {
				return ev.params
			}
		case <-deadline:
			t.Fatalf("hang guard (%v): no %s", sip.HangGuard, name)
		}
	}
}

func (e *events) callStates() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.all {
		if cs, ok := ev.params.(sip.CallState); ok {
			out = append(out, cs.State+":"+cs.Reason)
		}
	}
	return out
}

// checkTone asserts that pcm's strongest component is near freq.
func checkTone(t *testing.T, what string, pcm []int16, rate int, freq float64) {
	t.Helper()
	if len(pcm) < rate/2 {
		t.Errorf("%s: only %d samples", what, len(pcm))
		return
	}
	// Skip the start (jitter buffer priming, codec warm-up).
	pcm = pcm[len(pcm)/4:]
	got := dsp.DominantFrequency(pcm, rate)
	if math.Abs(got-freq) > 15 {
		t.Errorf("%s: dominant frequency %.1f Hz, want %.0f Hz (rms %.4f)", what, got, freq, dsp.RMS(pcm))
	}
}

func checkWAVTone(t *testing.T, what, path string, freq float64) {
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
	pcm := w.Samples
	if w.Channels > 1 {
		mono := make([]int16, 0, len(pcm)/w.Channels)
		for i := 0; i+w.Channels <= len(pcm); i += w.Channels {
			mono = append(mono, pcm[i])
		}
		pcm = mono
	}
	checkTone(t, what, pcm, w.Rate, freq)
}

type peers struct {
	k     *siptest.Kamailio
	b     *siptest.Baresip
	phone *sip.Phone
	ev    *events
	audio *testAudio
}

func setupCall(t *testing.T, codecs []string, baresipCodecs []string, answer string) *peers {
	t.Helper()
	return setupCallFor(t, codecs, baresipCodecs, answer, 10*time.Second)
}

// setupCallFor is setupCall with baresip's microphone file lasting d.
func setupCallFor(t *testing.T, codecs []string, baresipCodecs []string, answer string, d time.Duration) *peers {
	t.Helper()
	return setupCallKam(t, siptest.KamailioOptions{}, codecs, baresipCodecs, answer, d, nil)
}

// setupCallKam is setupCallFor with Kamailio's options; edit (if not nil)
// changes the phone's configuration, and opts are extra options for it.
func setupCallKam(t *testing.T, kam siptest.KamailioOptions, codecs []string, baresipCodecs []string, answer string, d time.Duration,
	edit func(*sip.Config), opts ...sip.Option) *peers {
	t.Helper()
	k := siptest.StartKamailio(t, kam)
	b := siptest.StartBaresip(t, siptest.BaresipOptions{User: siptest.DefaultUsers[1], Registrar: k.Addr(),
		Source: writeToneFor(t, 440, 8000, d), Codecs: baresipCodecs, Answer: answer})
	audio := newTestAudio(1000)
	cfg := sip.Config{Server: k.Addr(), Domain: "127.0.0.1", Username: "1001", Password: "secret1",
		Codecs: codecs, QualityInterval: time.Second, RTPPortMin: 32000, RTPPortMax: 39999}
	if edit != nil {
		edit(&cfg)
	}
	p, ev := startPhone(t, cfg, append([]sip.Option{sip.WithAudio(audio.factory)}, opts...)...)
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	ev.waitReg(t, sip.Registered)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s\nbaresip:\n%s", k.Log(), b.Log())
		}
	})
	return &peers{k: k, b: b, phone: p, ev: ev, audio: audio}
}

// answerBaresip has baresip call our phone through the proxy at addr
// and answers the call once it rings.
func (pe *peers) answerBaresip(ctx context.Context, t *testing.T, addr string) (*sip.Call, sip.IncomingCall) {
	t.Helper()
	if _, err := pe.b.Command("dial", "sip:1001@"+addr); err != nil {
		t.Fatal(err)
	}
	in := pe.ev.waitEvent(t, sip.EventCallIncoming).(sip.IncomingCall)
	c, err := pe.phone.Call(in.CallID)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	return c, in
}

// dialConnected dials to from pe's phone and waits until it is connected.
func dialConnected(ctx context.Context, t *testing.T, pe *peers, to string) *sip.Call {
	t.Helper()
	c, err := pe.phone.Dial(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateConnected)
	return c
}

// hangupHeardBothWays hangs up c and checks each side heard the other's
// tone: baresip's 440 Hz here, our 1000 Hz in baresip's newest recording
// (baresip names each call's recording by the second the call started,
// so a test's earlier calls may have files of their own, or share one).
// It returns baresip's recordings.
func hangupHeardBothWays(ctx context.Context, t *testing.T, pe *peers, c *sip.Call) []string {
	t.Helper()
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	pe.ev.waitCall(t, sip.StateEnded)
	heard, rate := pe.audio.heard(c.ID())
	checkTone(t, "what bpclient heard", heard, rate, 440)
	pe.b.Stop()
	_, dec := pe.b.Recordings()
	if len(dec) == 0 {
		t.Fatalf("baresip recorded nothing")
	}
	checkWAVTone(t, "what baresip heard", dec[len(dec)-1], 1000)
	return dec
}

func TestOutboundCallAudioBothWays(t *testing.T) {
	t.Parallel()
	pe := setupCall(t, []string{"PCMU", "PCMA"}, nil, "auto")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pe.phone.Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	cs := pe.ev.waitCall(t, sip.StateConnected)
	if cs.Codec != "PCMU" {
		t.Errorf("codec %q, want PCMU (our first choice)", cs.Codec)
	}
	q := pe.ev.waitEvent(t, sip.EventQualityReport).(sip.QualityReport)
	t.Logf("quality: %+v", q)
	minMOS := 4.0
	if raceDetector {
		minMOS = 3.0
	}
	if q.MOS < minMOS {
		t.Errorf("MOS %.2f on loopback, want at least %.1f", q.MOS, minMOS)
	}
	time.Sleep(2 * time.Second)
	if err := c.DTMF(ctx, "1#"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if dec := hangupHeardBothWays(ctx, t, pe, c); len(dec) != 1 {
		t.Errorf("baresip recordings: %v", dec)
	}
	for _, want := range []string{"received event: '1' (end=1)", "received event: '#' (end=1)"} {
		if !pe.b.WaitLog(want, sip.HangGuard) {
			t.Errorf("hang guard (%v): baresip did not log %q", sip.HangGuard, want)
		}
	}
}
