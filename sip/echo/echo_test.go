package echo_test

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/sip"
	"github.com/openbpclient/bpclient/sip/echo"
)

// TestEchoServer is `bpclient demo` without the terminal: the phone
// registers with the embedded service, calls the echo, and hears its own
// tone back, before and after hold and resume.
func TestEchoServer(t *testing.T) {
	t.Parallel()
	echoServer, err := echo.Start("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer echoServer.Close()
	audio := newToneAudio(t, 700)
	cfg := echoServer.DemoConfig()
	cfg.Codecs = []string{"PCMA"}
	events := make(chan any, 256)
	p, err := sip.New(cfg, sip.WithAudio(audio.factory), sip.WithEvents(func(_ string, ev any) {
		select {
		case events <- ev:
		default:
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	if err := p.Register(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, events, "registered", func(ev any) bool {
		rs, ok := ev.(sip.RegistrationState)
		return ok && rs.State == sip.Registered
	})
	c, err := p.Dial(ctx, echoServer.Target())
	if err != nil {
		t.Fatal(err)
	}
	connected := waitFor(t, events, "connected", func(ev any) bool {
		cs, ok := ev.(sip.CallState)
		return ok && cs.State == sip.StateConnected
	})
	if codec := connected.(sip.CallState).Codec; codec != "PCMA" {
		t.Errorf("codec %s, want PCMA", codec)
	}
	audio.waitHeard(t, time.Second)
	if err := c.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	audio.waitHeard(t, time.Second)
	resumed := audio.since()
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	checkTone(t, "the echo after resume", resumed, audio.rate(), 700)
	checkTone(t, "the echo", audio.all(), audio.rate(), 700)
}

// waitFor reads events until match holds, up to the hang guard.
func waitFor(t *testing.T, events <-chan any, what string, match func(any) bool) any {
	t.Helper()
	deadline := time.After(hangGuard)
	for {
		select {
		case ev := <-events:
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("hang guard (%v): no %s", hangGuard, what)
		}
	}
}

// toneAudio gives a call a tone microphone and a speaker that keeps what
// it hears and says when it has heard enough.
type toneAudio struct {
	t    *testing.T
	freq float64

	mu      sync.Mutex
	sr      int
	pcm     []int16
	mark    int // start of the stretch waitHeard waits for
	want    int // samples after mark that wake waitHeard
	enough  chan struct{}
	started chan struct{} // closed when the factory ran
}

func newToneAudio(t *testing.T, freq float64) *toneAudio {
	return &toneAudio{t: t, freq: freq, started: make(chan struct{})}
}

func (a *toneAudio) factory(_ string, rate int) (sip.Audio, error) {
	gen, err := dsp.NewToneGen(dsp.Tone{Name: "test", Freqs: [2]float64{a.freq}, Levels: [2]float64{-10}}, rate)
	if err != nil {
		return sip.Audio{}, err
	}
	a.mu.Lock()
	first := a.sr == 0
	a.sr = rate
	a.mu.Unlock()
	if first {
		close(a.started)
	}
	return sip.Audio{Source: toneReader{gen}, Sink: a}, nil
}

func (a *toneAudio) WritePCM(p []int16) (int, error) {
	a.mu.Lock()
	a.pcm = append(a.pcm, p...)
	if a.enough != nil && len(a.pcm)-a.mark >= a.want {
		close(a.enough)
		a.enough = nil
	}
	a.mu.Unlock()
	return len(p), nil
}

// waitHeard waits, up to the hang guard, until d more of audio arrived.
func (a *toneAudio) waitHeard(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-a.started:
	case <-time.After(hangGuard):
		t.Fatalf("hang guard (%v): the call's audio was never opened", hangGuard)
	}
	a.mu.Lock()
	enough := make(chan struct{})
	a.mark, a.want, a.enough = len(a.pcm), int(d.Seconds()*float64(a.sr)), enough
	a.mu.Unlock()
	select {
	case <-enough:
	case <-time.After(hangGuard):
		t.Fatalf("hang guard (%v): the speaker did not get %v of audio", hangGuard, d)
	}
}

func (a *toneAudio) rate() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sr
}

func (a *toneAudio) all() []int16 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]int16(nil), a.pcm...)
}

// since is what was heard from the last waitHeard's start.
func (a *toneAudio) since() []int16 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]int16(nil), a.pcm[a.mark:]...)
}

type toneReader struct{ gen *dsp.ToneGen }

func (r toneReader) ReadPCM(p []int16) (int, error) { return r.gen.Read(p), nil }

// checkTone asserts that pcm's strongest component is near freq.
func checkTone(t *testing.T, what string, pcm []int16, rate int, freq float64) {
	t.Helper()
	if rate == 0 || len(pcm) < rate/2 {
		t.Errorf("%s: only %d samples", what, len(pcm))
		return
	}
	// Skip the start (jitter buffer priming, codec warm-up).
	pcm = pcm[len(pcm)/4:]
	if got := dsp.DominantFrequency(pcm, rate); math.Abs(got-freq) > 15 {
		t.Errorf("%s: dominant frequency %.1f Hz, want %.0f Hz (rms %.4f)", what, got, freq, dsp.RMS(pcm))
	}
}
