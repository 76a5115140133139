package echo

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/sip"
)

// DemoOptions say how RunDemo calls the echo.
type DemoOptions struct {
	// Audio gives the call its microphone and speaker. RunDemo asks for
	// it once the embedded service is up (so that what the caller says
	// about its sound card follows the service's report); nil, or a nil
	// factory, sends a generated tone and measures what comes back.
	Audio func() sip.AudioFactory
	// For hangs up this long after registering (0: when ctx ends).
	For time.Duration
	// Report is told what happens, in order, from RunDemo's goroutine.
	Report func(DemoEvent)

	// clock is the wall clock unless a test sets it.
	clock demoClock
}

// demoClock is what RunDemo needs of time: the stamps of its reports,
// the hang-up after For, the meter's once-a-second reading.
type demoClock interface {
	Now() time.Time
	// After fires once, d from now; stop releases it.
	After(d time.Duration) (fire <-chan time.Time, stop func())
	// Every fires each d; stop ends it.
	Every(d time.Duration) (tick <-chan time.Time, stop func())
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

func (wallClock) Every(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// DemoEvent is one thing RunDemo reports. Event is one of ServiceUp,
// ToneFallback, EchoHeard, HangingUp, HungUp, or what the phone emitted:
// sip.RegistrationState, sip.CallState, sip.QualityReport,
// sip.NetworkIssue.
type DemoEvent struct {
	// At is the time since the phone registered (0 before).
	At    time.Duration
	Event any
}

// ServiceUp says the embedded registrar and echo listen at Addr.
type ServiceUp struct{ Addr string }

// ToneFallback says the call sends a generated tone of Hz, not a
// microphone, and that EchoHeard reports what comes back.
type ToneFallback struct{ Hz float64 }

// EchoHeard is the last second of the echo, with the tone fallback: its
// level and its strongest frequency.
type EchoHeard struct{ DBFS, Hz float64 }

// HangingUp says ctx ended and the call is being hung up.
type HangingUp struct{}

// HungUp is the call's state after RunDemo hung it up.
type HungUp struct{ State string }

const (
	demoToneHz = 440
	// demoToneAmplitude is 0.3 of full scale, as phoneapi's tone for
	// calls without audio.
	demoToneAmplitude = 0.3
	// dBm0 is 3.14 dB below full scale (dsp.Tone's levels are in dBm0).
	dBm0BelowFullScale = 3.14
	// demoStepTimeout bounds each step: starting the phone, dialling,
	// hanging up, closing.
	demoStepTimeout = 5 * time.Second
	// demoSettle lets the last quality report and the echo's last second
	// arrive after For has passed.
	demoSettle = 2 * time.Second
)

// RunDemo is `bpclient demo` without the terminal: it starts the embedded
// service on loopback, registers a phone with it, calls the echo and
// reports the call's state and quality until o.For passes, ctx ends or
// the call ends. It returns nil when the call ended either way.
func RunDemo(ctx context.Context, o DemoOptions) error {
	report := o.Report
	if report == nil {
		report = func(DemoEvent) {}
	}
	clock := o.clock
	if clock == nil {
		clock = wallClock{}
	}
	echo, err := Start("127.0.0.1")
	if err != nil {
		return fmt.Errorf("embedded SIP service: %w", err)
	}
	defer echo.Close()
	report(DemoEvent{Event: ServiceUp{Addr: echo.Addr()}})

	var factory sip.AudioFactory
	if o.Audio != nil {
		factory = o.Audio()
	}
	var meter *levelSink
	if factory == nil {
		report(DemoEvent{Event: ToneFallback{Hz: demoToneHz}})
		meter = &levelSink{}
		factory = func(callID string, rate int) (sip.Audio, error) {
			tone, err := dsp.NewToneGen(dsp.Tone{Name: "demo", Freqs: [2]float64{demoToneHz},
				Levels: [2]float64{dsp.DBFS(demoToneAmplitude) + dBm0BelowFullScale}}, rate)
			if err != nil {
				return sip.Audio{}, err
			}
			meter.setRate(rate)
			return sip.Audio{Source: toneSource{tone}, Sink: meter}, nil
		}
	}

	events := make(chan any, 64)
	phone, err := sip.New(echo.DemoConfig(), sip.WithAudio(factory), sip.WithEvents(func(name string, p any) {
		select {
		case events <- p:
		default:
		}
	}))
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, demoStepTimeout)
	err = phone.Start(sctx)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), demoStepTimeout)
		defer cancel()
		_ = phone.Close(cctx)
	}()
	if err := phone.Register(); err != nil {
		return err
	}
	var call *sip.Call
	var timer <-chan time.Time
	if o.For > 0 {
		fire, stop := clock.After(o.For + demoSettle)
		defer stop()
		timer = fire
	}
	meterTick, stopMeter := clock.Every(time.Second)
	defer stopMeter()
	t0 := clock.Now()
	emit := func(ev any) { report(DemoEvent{At: clock.Now().Sub(t0), Event: ev}) }
	hangup := func() {
		if call == nil {
			return
		}
		hctx, cancel := context.WithTimeout(context.Background(), demoStepTimeout)
		_ = call.Hangup(hctx)
		cancel()
		emit(HungUp{State: call.State().State})
	}
	for {
		select {
		case <-ctx.Done():
			emit(HangingUp{})
			hangup()
			return nil
		case <-timer:
			hangup()
			return nil
		case <-meterTick:
			if meter != nil && call != nil {
				if lvl, freq, ok := meter.lastSecond(); ok {
					emit(EchoHeard{DBFS: lvl, Hz: freq})
				}
			}
		case ev := <-events:
			switch v := ev.(type) {
			case sip.RegistrationState:
				emit(v)
				if v.State == sip.Registered && call == nil {
					dctx, cancel := context.WithTimeout(ctx, demoStepTimeout)
					call, err = phone.Dial(dctx, echo.Target())
					cancel()
					if err != nil {
						return err
					}
				}
				if v.State == sip.Failed {
					return fmt.Errorf("registration failed: %s", v.Reason)
				}
			case sip.CallState:
				emit(v)
				if v.State == sip.StateEnded {
					return nil
				}
			case sip.QualityReport, sip.NetworkIssue:
				emit(v)
			}
		}
	}
}

// toneSource is a microphone that plays a generated tone. The phone
// reads it from one goroutine, as dsp.ToneGen needs.
type toneSource struct{ gen *dsp.ToneGen }

func (t toneSource) ReadPCM(p []int16) (int, error) { return t.gen.Read(p), nil }

// levelSink is a speaker that measures what it is given.
type levelSink struct {
	mu   sync.Mutex
	rate int
	buf  []int16
}

func (l *levelSink) setRate(r int) {
	l.mu.Lock()
	l.rate, l.buf = r, nil
	l.mu.Unlock()
}

func (l *levelSink) WritePCM(p []int16) (int, error) {
	l.mu.Lock()
	l.buf = append(l.buf, p...)
	if n := len(l.buf); n > l.rate && l.rate > 0 {
		l.buf = l.buf[n-l.rate:]
	}
	l.mu.Unlock()
	return len(p), nil
}

// lastSecond is the level (dBFS) and strongest frequency of the last
// second heard.
func (l *levelSink) lastSecond() (float64, float64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rate == 0 || len(l.buf) < l.rate/2 {
		return 0, 0, false
	}
	return dsp.DBFS(dsp.RMS(l.buf)), dsp.DominantFrequency(l.buf, l.rate), true
}
