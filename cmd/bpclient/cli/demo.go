package cli

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/audio/dsp"
	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/sip"
)

func demoCommand() *command {
	var duration time.Duration
	return &command{
		name:     "demo",
		synopsis: "a real call with no PBX: embedded registrar and echo extension, live quality",
		usage:    "bpclient demo [--for 30s]",
		help: `Starts an embedded SIP service on loopback (a registrar and an echo
extension), registers the softphone with it, calls the echo and plays your
microphone back through the speaker, printing the call's state and voice
quality until Ctrl-C (or --for). On a machine without a sound card it says
so and sends a generated 440 Hz tone instead, and prints what comes back.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.DurationVar(&duration, "for", 0, "hang up after this long (0: until Ctrl-C)")
		},
		run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usagef("demo takes no arguments")
			}
			return runDemo(ctx, env, duration)
		},
	}
}

func runDemo(ctx context.Context, env Env, duration time.Duration) error {
	echo, err := sip.StartEchoServer("127.0.0.1")
	if err != nil {
		return fmt.Errorf("embedded SIP service: %w", err)
	}
	defer echo.Close()
	fmt.Fprintf(env.Stdout, "embedded SIP service (registrar + echo extension) on %s\n", echo.Addr())

	var factory sip.AudioFactory
	var meter *levelSink
	if sys, err := audio.Open(); err == nil {
		defer sys.Close()
		list, lerr := sys.Devices()
		_, hasIn := list.DefaultDevice(true)
		_, hasOut := list.DefaultDevice(false)
		if lerr == nil && hasIn && hasOut {
			factory = phoneapi.DeviceAudio(sys, func() (string, string) { return "", "" })
			fmt.Fprintln(env.Stdout, "audio: default microphone → echo → default speaker")
		} else {
			fmt.Fprintln(env.Stdout, "audio: no sound card found (no default input and output)")
		}
	} else {
		fmt.Fprintf(env.Stdout, "audio: unavailable (%v)\n", err)
	}
	if factory == nil {
		fmt.Fprintln(env.Stdout, "audio: sending a generated 440 Hz tone and measuring what the echo returns")
		meter = &levelSink{}
		factory = func(callID string, rate int) (sip.Audio, error) {
			meter.setRate(rate)
			return sip.Audio{Source: phoneapi.NewTone(440, rate), Sink: meter}, nil
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
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = phone.Start(sctx)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = phone.Close(cctx)
	}()
	if err := phone.Register(); err != nil {
		return err
	}
	var call *sip.Call
	var timer <-chan time.Time
	if duration > 0 {
		timer = time.After(duration + 2*time.Second)
	}
	meterTick := time.NewTicker(time.Second)
	defer meterTick.Stop()
	t0 := time.Now()
	stamp := func() string { return fmt.Sprintf("%6.2fs", time.Since(t0).Seconds()) }
	hangup := func() {
		if call == nil {
			return
		}
		hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = call.Hangup(hctx)
		cancel()
		fmt.Fprintf(env.Stdout, "%s call: %s\n", stamp(), call.State().State)
	}
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(env.Stdout, "hanging up")
			hangup()
			return nil
		case <-timer:
			hangup()
			return nil
		case <-meterTick.C:
			if meter != nil && call != nil {
				if lvl, freq, ok := meter.lastSecond(); ok {
					fmt.Fprintf(env.Stdout, "%s echo: %.1f dBFS at %.0f Hz\n", stamp(), lvl, freq)
				}
			}
		case ev := <-events:
			switch v := ev.(type) {
			case sip.RegistrationState:
				fmt.Fprintf(env.Stdout, "%s registration: %s %s\n", stamp(), v.State, v.Reason)
				if v.State == sip.Registered && call == nil {
					dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					call, err = phone.Dial(dctx, echo.EchoTarget())
					cancel()
					if err != nil {
						return err
					}
				}
				if v.State == sip.Failed {
					return fmt.Errorf("registration failed: %s", v.Reason)
				}
			case sip.CallState:
				line := v.State
				if v.Codec != "" {
					line += " (" + v.Codec + ")"
				}
				if v.Reason != "" {
					line += ": " + v.Reason
				}
				fmt.Fprintf(env.Stdout, "%s call: %s\n", stamp(), line)
				if v.State == sip.StateEnded {
					return nil
				}
			case sip.QualityReport:
				fmt.Fprintf(env.Stdout, "%s quality: MOS %.2f, RTT %.0f ms, jitter %.1f ms, loss %.1f%%\n", stamp(), v.MOS, v.RTTMs, v.JitterMs, v.LossPct)
			case sip.NetworkIssue:
				fmt.Fprintf(env.Stdout, "%s network: %s\n", stamp(), v.Message)
			}
		}
	}
}

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
