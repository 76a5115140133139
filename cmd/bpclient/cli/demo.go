package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/openbpclient/bpclient/audio"
	"github.com/openbpclient/bpclient/helper/phoneapi"
	"github.com/openbpclient/bpclient/sip"
	"github.com/openbpclient/bpclient/sip/echo"
)

func demoCommand() *command {
	var duration time.Duration
	return &command{
		usage: "bpclient demo [--for 30s]",
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
	var sys *audio.System
	defer func() {
		if sys != nil {
			sys.Close()
		}
	}()
	// The sound card is looked for once the service is up, so that what
	// is said about it follows the service's line.
	deviceAudio := func() sip.AudioFactory {
		opened, err := audio.Open()
		if err != nil {
			fmt.Fprintf(env.Stdout, "audio: unavailable (%v)\n", err)
			return nil
		}
		sys = opened
		list, lerr := sys.Devices()
		_, hasIn := list.DefaultDevice(true)
		_, hasOut := list.DefaultDevice(false)
		if lerr != nil || !hasIn || !hasOut {
			fmt.Fprintln(env.Stdout, "audio: no sound card found (no default input and output)")
			return nil
		}
		fmt.Fprintln(env.Stdout, "audio: default microphone → echo → default speaker")
		return phoneapi.DeviceAudio(sys, func() (string, string) { return "", "" })
	}
	return echo.RunDemo(ctx, echo.DemoOptions{Audio: deviceAudio, For: duration, Report: func(ev echo.DemoEvent) {
		printDemoEvent(env, ev)
	}})
}

// printDemoEvent writes one line of the demo's progress.
func printDemoEvent(env Env, ev echo.DemoEvent) {
	stamp := fmt.Sprintf("%6.2fs", ev.At.Seconds())
	switch v := ev.Event.(type) {
	case echo.ServiceUp:
		fmt.Fprintf(env.Stdout, "embedded SIP service (registrar + echo extension) on %s\n", v.Addr)
	case echo.ToneFallback:
		fmt.Fprintf(env.Stdout, "audio: sending a generated %.0f Hz tone and measuring what the echo returns\n", v.Hz)
	case echo.EchoHeard:
		fmt.Fprintf(env.Stdout, "%s echo: %.1f dBFS at %.0f Hz\n", stamp, v.DBFS, v.Hz)
	case echo.HangingUp:
		fmt.Fprintln(env.Stdout, "hanging up")
	case echo.HungUp:
		fmt.Fprintf(env.Stdout, "%s call: %s\n", stamp, v.State)
	case sip.RegistrationState:
		fmt.Fprintf(env.Stdout, "%s registration: %s %s\n", stamp, v.State, v.Reason)
	case sip.CallState:
		line := v.State
		if v.Codec != "" {
			line += " (" + v.Codec + ")"
		}
		if v.Reason != "" {
			line += ": " + v.Reason
		}
		fmt.Fprintf(env.Stdout, "%s call: %s\n", stamp, line)
	case sip.QualityReport:
		fmt.Fprintf(env.Stdout, "%s quality: MOS %.2f, RTT %.0f ms, jitter %.1f ms, loss %.1f%%\n", stamp, v.MOS, v.RTTMs, v.JitterMs, v.LossPct)
	case sip.NetworkIssue:
		fmt.Fprintf(env.Stdout, "%s network: %s\n", stamp, v.Message)
	}
}
